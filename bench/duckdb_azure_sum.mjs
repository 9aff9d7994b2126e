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

import { runSummary } from './duckdb_common.mjs';

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

runSummary('duckdb_azure_sum', COLUMNS, async (conn, source, pick) => {
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

  return (
    `SELECT ${account} AS id, sum(${list}) AS list_cost, ` +
    `sum(CAST(${pick.billed} AS DECIMAL(38, 18))) AS billed_cost ` +
    `FROM ${source} GROUP BY 1 ORDER BY 1`
  );
});
