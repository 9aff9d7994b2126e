// duckdb_azure_sum.mjs: the reference for `pb-ingest --format azure-cost --summary`, computed by DuckDB, printed
// in the same CSV form so that the two outputs can be compared byte for byte.
//
// usage: node bench/duckdb_azure_sum.mjs FILE    (plain CSV or .gz; EA, MCA or CSP partner cost details)
//
// Per partner account (customerTenantId when the file has it, else SubscriptionId): the sum of
// CostInBillingCurrency, and of the list cost: paygCostInBillingCurrency when non-empty, else
// PayGPrice x Quantity (x exchangeRatePricingToBilling), rounded once to 18 places half-to-even, absent when
// PayGPrice is empty, or zero on a marketplace line or a reservation or savings plan purchase or refund.
// PayGPrice is per UnitOfMeasure and Quantity counts those units ("100 Hours": Quantity 0.24 is 24 hours), so
// UnitOfMeasure plays no part: Microsoft defines paygCostInBillingCurrency as PayGPrice x Quantity x
// exchangeRatePricingToBilling.
// Values are read as DECIMAL of a fixed scale (PayGPrice and Quantity 6 places, the rate 12, amounts 18), which
// is exact for bench/gen_azure.c's output, not for any file.

import { DuckDBInstance } from '@duckdb/node-api';

// Candidate names of each column the summary needs, in order of preference, and whether it is required.
const COLUMNS = {
  tenant: [['customerTenantId'], false],
  subscription: [['SubscriptionId', 'SubscriptionGuid'], true],
  billed: [['CostInBillingCurrency', 'Cost'], true],
  paygCost: [['paygCostInBillingCurrency'], false],
  price: [['PayGPrice'], false],
  quantity: [['Quantity'], false],
  rate: [['exchangeRatePricingToBilling'], false],
  publisher: [['PublisherType'], false],
  model: [['PricingModel'], false],
  type: [['ChargeType'], true],
};

function sqlString(s) {
  return "'" + s.replaceAll("'", "''") + "'";
}

function sqlIdent(s) {
  return '"' + s.replaceAll('"', '""') + '"';
}

function csvField(s) {
  return /[",\r\n]/.test(s) ? '"' + s.replaceAll('"', '""') + '"' : s;
}

// Canonical decimal text of value * 10^-scale: no exponent, no '+', no trailing fractional zeros, no
// trailing '.', at least one integer digit, "0" for zero. NULL (no value at all) prints as empty.
function canonical(dec) {
  if (dec === null) return '';
  const neg = dec.value < 0n;
  let digits = (neg ? -dec.value : dec.value).toString();
  if (dec.scale > 0) {
    digits = digits.padStart(dec.scale + 1, '0');
    const int = digits.slice(0, digits.length - dec.scale);
    const frac = digits.slice(digits.length - dec.scale).replace(/0+$/, '');
    digits = frac === '' ? int : int + '.' + frac;
  }
  if (digits === '0') return '0';
  return (neg ? '-' : '') + digits;
}

async function main(argv) {
  if (argv.length !== 1) {
    process.stderr.write('usage: node duckdb_azure_sum.mjs FILE\n');
    return 2;
  }
  const file = argv[0];
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '2',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const conn = await instance.connect();
  const source =
    `read_csv(${sqlString(file)}, header = true, all_varchar = true, delim = ',', quote = '"', ` +
    `escape = '"', compression = 'auto')`;

  // Columns are found by name, case-insensitively, as pb-ingest does.
  const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const byLower = new Map();
  for (const row of described.getRows()) byLower.set(String(row[0]).toLowerCase(), String(row[0]));
  const pick = {};
  for (const [key, [names, required]] of Object.entries(COLUMNS)) {
    const found = names.map((n) => byLower.get(n.toLowerCase())).find((n) => n !== undefined);
    if (found === undefined && required) {
      process.stderr.write(`duckdb_azure_sum: ${file}: missing required column '${names[0]}'\n`);
      return 1;
    }
    pick[key] = found === undefined ? 'NULL' : sqlIdent(found);
  }

  // x rounded half-to-even to 18 places (DuckDB's round() takes ties away from zero).
  await conn.run(
    'CREATE MACRO half_even18(x) AS CASE ' +
      "WHEN abs(x - trunc(x, 18)) = CAST('0.0000000000000000005' AS DECIMAL(38, 19)) " +
      "AND right(CAST(CAST(trunc(x, 18) AS DECIMAL(38, 18)) AS VARCHAR), 1) IN ('0', '2', '4', '6', '8') " +
      'THEN CAST(trunc(x, 18) AS DECIMAL(38, 18)) ELSE round(x, 18) END',
  );
  const price = `CAST(${pick.price} AS DECIMAL(38, 6))`;
  const noList =
    `(${price} = 0 AND (lower(${pick.publisher}) = 'marketplace' OR ` +
    `(lower(${pick.model}) IN ('reservation', 'reservations', 'savingsplan') AND lower(${pick.type}) IN ('purchase', 'refund'))))`;
  const list =
    `CASE WHEN ${pick.paygCost} IS NOT NULL THEN CAST(${pick.paygCost} AS DECIMAL(38, 18)) ` +
    `WHEN ${pick.price} IS NULL OR ${noList} THEN NULL ` +
    `ELSE half_even18(${price} * CAST(${pick.quantity} AS DECIMAL(38, 6)) * ` +
    `CAST(coalesce(${pick.rate}, '1') AS DECIMAL(38, 12))) END`;
  const account = pick.tenant === 'NULL' ? pick.subscription : pick.tenant;

  const result = await conn.runAndReadAll(
    `SELECT ${account} AS id, sum(${list}) AS list_cost, ` +
      `sum(CAST(${pick.billed} AS DECIMAL(38, 18))) AS billed_cost ` +
      `FROM ${source} GROUP BY 1 ORDER BY 1`,
  );
  const lines = ['partner_account_id,list_cost,billed_cost'];
  for (const [id, list, billed] of result.getRows()) {
    lines.push(`${csvField(String(id))},${canonical(list)},${canonical(billed)}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  conn.closeSync();
  instance.closeSync();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`duckdb_azure_sum: ${err.message}\n`);
    process.exitCode = 1;
  },
);
