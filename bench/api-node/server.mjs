// bench/api.sh's peer: GET /v1/accounts/:alias/partner-usage?month=YYYY-MM as a web team would write it, with
// fastify and the pg pool (one query for the token, one for the figures, per request), answering what pb-api
// answers byte for byte. Usage: node server.mjs PGHOST_DIR; prints "listening on http://127.0.0.1:PORT".
import crypto from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ host: process.argv[2], port: 5432, user: 'pb', database: 'partnerbill' });
const app = Fastify({ logger: false });

const FIGURES = `vendor, currency, trim_scale(month_to_date)::text AS month_to_date, trim_scale(markup)::text AS markup,
	estimate::text AS estimate, low80::text AS low80, high80::text AS high80, low90::text AS low90,
	high90::text AS high90, method, to_char(complete_through, 'YYYY-MM-DD') AS complete_through, final`;
const QUERY = `SELECT r.id, to_char(r.as_of, 'YYYY-MM-DD') AS as_of,
	to_char(r.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS finished_at, ${FIGURES}
	FROM pb.aggregate_run r JOIN pb.aggregate_account a ON a.run_id = r.id
	WHERE r.billing_month = $1::date AND r.status = 'current' AND a.alias = $2
	ORDER BY a.vendor = 'all' DESC, a.vendor`;

const error = (reply, status, code, message) =>
  reply.code(status).header('cache-control', 'no-store').send({ code, message });

function figures(row, withVendor) {
  const f = withVendor ? { vendor: row.vendor } : {};
  return Object.assign(f, {
    currency: row.currency,
    month_to_date: row.month_to_date,
    markup: row.markup,
    estimate: row.estimate,
    interval_80: { low: row.low80, high: row.high80 },
    interval_90: { low: row.low90, high: row.high90 },
    method: row.method,
    complete_through: row.complete_through,
    final: row.final,
  });
}

app.get('/v1/accounts/:alias/partner-usage', async (request, reply) => {
  const auth = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization || '');
  if (!auth) return error(reply, 401, 'unauthorized', 'a valid bearer token is required');
  const hash = crypto.createHash('sha256').update(auth[1]).digest('hex');
  const tok = await pool.query(
    'SELECT kind, alias FROM pb.api_token WHERE sha256 = $1 AND revoked_at IS NULL', [hash]);
  if (tok.rows.length !== 1) return error(reply, 401, 'unauthorized', 'a valid bearer token is required');
  const month = request.query.month;
  if (typeof month !== 'string' || !/^[0-9]{4}-(0[1-9]|1[0-2])$/.test(month))
    return error(reply, 400, 'bad_month', 'month must be given as YYYY-MM');
  const { alias } = request.params;
  if (tok.rows[0].kind !== 'platform' && tok.rows[0].alias !== alias)
    return error(reply, 404, 'not_found', 'not found');
  const { rows } = await pool.query(QUERY, [`${month}-01`, alias]);
  if (rows.length === 0 || rows[0].vendor !== 'all') return error(reply, 404, 'not_found', 'not found');
  const etag = `"pb-run-${rows[0].id}"`;
  reply.header('etag', etag).header('cache-control', 'private, no-cache').header('vary', 'Authorization');
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  return {
    alias,
    month,
    run: { id: Number(rows[0].id), as_of: rows[0].as_of, finished_at: rows[0].finished_at },
    total: figures(rows[0], false),
    vendors: rows.slice(1).map((r) => figures(r, true)),
  };
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${address}`);
const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
