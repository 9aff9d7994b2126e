// duckdb_common.mjs: what the DuckDB references (duckdb_sum.mjs, duckdb_azure_sum.mjs) share: the command
// line, an offline DuckDB instance, reading the CSV, finding its columns, and printing the summary in the
// CSV form of `pb-ingest --summary`.

import { DuckDBInstance } from '@duckdb/node-api';

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

// Columns are found by name, case-insensitively, as pb-ingest does. columns maps a key to [names, required]:
// the candidate names in order of preference, and whether the file must have one. Returns the key's quoted
// column, or NULL for an optional one the file lacks; or, after a message on stderr, null when a required
// column is missing.
async function pickColumns(conn, source, columns, name, file) {
  const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const byLower = new Map();
  for (const row of described.getRows()) byLower.set(String(row[0]).toLowerCase(), String(row[0]));
  const pick = {};
  for (const [key, [names, required]] of Object.entries(columns)) {
    const found = names.map((n) => byLower.get(n.toLowerCase())).find((n) => n !== undefined);
    if (found === undefined && required) {
      process.stderr.write(`${name}: ${file}: missing required column '${names[0]}'\n`);
      return null;
    }
    pick[key] = found === undefined ? 'NULL' : sqlIdent(found);
  }
  return pick;
}

async function main(name, columns, summarize, argv) {
  if (argv.length !== 1) {
    process.stderr.write(`usage: node ${name}.mjs FILE\n`);
    return 2;
  }
  const file = argv[0];
  // Offline: DuckDB must not fetch extensions from the network, nor load any it has.
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '2',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const conn = await instance.connect();
  const source =
    `read_csv(${sqlString(file)}, header = true, all_varchar = true, delim = ',', quote = '"', ` +
    `escape = '"', compression = 'auto')`;
  const pick = await pickColumns(conn, source, columns, name, file);
  if (pick === null) return 1;

  const result = await conn.runAndReadAll(await summarize(conn, source, pick));
  const lines = ['partner_account_id,list_cost,billed_cost'];
  for (const [id, list, billed] of result.getRows()) {
    lines.push(`${csvField(String(id))},${canonical(list)},${canonical(billed)}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  conn.closeSync();
  instance.closeSync();
  return 0;
}

// The whole of a reference script, `node bench/NAME.mjs FILE` (plain CSV or .gz): finds columns (see
// pickColumns) in FILE, read as text, then runs the query that summarize(conn, source, pick) returns, which
// reads `FROM ${source}` and yields rows of (account id, list cost, billed cost) as DECIMALs, ordered, and
// prints them.
export function runSummary(name, columns, summarize) {
  main(name, columns, summarize, process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
