// duckdb_sum.mjs: the reference for `pb-ingest --format aws-cur --summary`, computed by DuckDB, printed in
// the same CSV form so that the two outputs can be compared byte for byte.
//
// usage: node bench/duckdb_sum.mjs FILE    (plain CSV or .gz; legacy or CUR 2.0 column names)

import { DuckDBInstance } from '@duckdb/node-api';

// Legacy name and CUR 2.0 name of each column the summary needs.
const COLUMNS = {
  account: ['lineItem/UsageAccountId', 'line_item_usage_account_id'],
  list: ['pricing/publicOnDemandCost', 'pricing_public_on_demand_cost'],
  billed: ['lineItem/UnblendedCost', 'line_item_unblended_cost'],
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
    process.stderr.write('usage: node duckdb_sum.mjs FILE\n');
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
  for (const [key, names] of Object.entries(COLUMNS)) {
    const found = names.map((n) => byLower.get(n.toLowerCase())).find((n) => n !== undefined);
    if (found === undefined) {
      process.stderr.write(`duckdb_sum: ${file}: missing required column '${names[0]}'\n`);
      return 1;
    }
    pick[key] = sqlIdent(found);
  }

  const result = await conn.runAndReadAll(
    `SELECT ${pick.account} AS id, ` +
      `sum(CAST(${pick.list} AS DECIMAL(38,10))) AS list_cost, ` +
      `sum(CAST(${pick.billed} AS DECIMAL(38,10))) AS billed_cost ` +
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
    process.stderr.write(`duckdb_sum: ${err.message}\n`);
    process.exitCode = 1;
  },
);
