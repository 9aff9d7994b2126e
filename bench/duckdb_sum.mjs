// duckdb_sum.mjs: the reference for `pb-ingest --format aws-cur --summary`, computed by DuckDB, printed in
// the same CSV form so that the two outputs can be compared byte for byte.
//
// usage: node bench/duckdb_sum.mjs FILE    (plain CSV or .gz; legacy or CUR 2.0 column names)

import { runSummary } from './duckdb_common.mjs';

// Legacy name and CUR 2.0 name of each column the summary needs; all are required.
const COLUMNS = {
  account: [['lineItem/UsageAccountId', 'line_item_usage_account_id'], true],
  list: [['pricing/publicOnDemandCost', 'pricing_public_on_demand_cost'], true],
  billed: [['lineItem/UnblendedCost', 'line_item_unblended_cost'], true],
};

runSummary(
  'duckdb_sum',
  COLUMNS,
  (conn, source, pick) =>
    `SELECT ${pick.account} AS id, ` +
    `sum(CAST(${pick.list} AS DECIMAL(38,10))) AS list_cost, ` +
    `sum(CAST(${pick.billed} AS DECIMAL(38,10))) AS billed_cost ` +
    `FROM ${source} GROUP BY 1 ORDER BY 1`,
);
