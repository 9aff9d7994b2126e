#!/usr/bin/env node
// azput.mjs: a minimal Azure Blob Storage client for partnerbill's tests, signing with Shared Key.
// Node's built-in modules only (no npm packages). Talks to azurite (or any Blob endpoint over http/https).
//
//   node azput.mjs mkcontainer CONTAINER          create a container (one that exists already is fine)
//   node azput.mjs put CONTAINER BLOB FILE [TYPE]  upload FILE as a block blob (streamed; Put Blob, so
//                                                  up to 5000 MiB), Content-Type TYPE (default
//                                                  application/octet-stream)
//   node azput.mjs get CONTAINER BLOB [OUT]        download a blob to OUT (default stdout)
//   node azput.mjs list CONTAINER                  print the container's blob names, one a line
//   node azput.mjs sas CONTAINER [OPTIONS]         print a container-level service SAS token (the query
//                                                  string, no leading "?"), signed with the account key:
//     --permissions P   sp (default rl: read and list)
//     --version V       sv (default 2021-08-06; the string-to-sign is the one of 2020-12-06 and later)
//     --minutes N       se is N minutes from now (default 120); st is always 5 minutes before now
//     --expired         st two hours ago and se one hour ago: a well-signed token that has expired
//     --bad-signature   sig is the HMAC of the right string-to-sign under another key (valid base64,
//                       but not the account's signature)
//     --show            also print the string-to-sign to stderr (JSON-quoted, one line)
//
// Environment: AZURITE_BLOB_ENDPOINT, e.g. http://127.0.0.1:10000/devstoreaccount1 (path-style: the last
// path segment is the account name), and AZURITE_ACCOUNT_KEY, the account's base64 key.
// Exit status: 0 on success; 1 on an HTTP error (the status line and body go to stderr); 2 on bad usage.
import { createHash, createHmac } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';

const API_VERSION = '2021-10-04';

function die(code, msg) {
  process.stderr.write(`azput: ${msg}\n`);
  process.exit(code);
}

const endpoint = process.env.AZURITE_BLOB_ENDPOINT;
const key = process.env.AZURITE_ACCOUNT_KEY;
if (!endpoint || !key) die(2, 'set AZURITE_BLOB_ENDPOINT and AZURITE_ACCOUNT_KEY');
const base = new URL(endpoint.replace(/\/+$/, ''));
const account = base.pathname.split('/').filter(Boolean).pop();
if (!account) die(2, `no account name in ${endpoint}`);

// Encodes a blob name for the URL path: each segment percent-encoded, slashes kept.
const encPath = (name) => name.split('/').map(encodeURIComponent).join('/');

// Shared Key string-to-sign (version 2015-02-21 and later).
// https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key
function sign(method, url, headers) {
  const h = (name) => {
    const v = headers[name.toLowerCase()];
    if (v === undefined || v === null) return '';
    if (name === 'Content-Length' && String(v) === '0') return '';
    return String(v);
  };
  const canonHeaders = Object.keys(headers)
    .filter((k) => k.startsWith('x-ms-'))
    .sort()
    .map((k) => `${k}:${String(headers[k]).trim()}\n`)
    .join('');
  let canonResource = `/${account}${url.pathname}`;
  const params = {};
  for (const [k, v] of url.searchParams) (params[k.toLowerCase()] ??= []).push(v);
  for (const k of Object.keys(params).sort()) canonResource += `\n${k}:${params[k].sort().join(',')}`;
  const stringToSign = [
    method,
    h('Content-Encoding'),
    h('Content-Language'),
    h('Content-Length'),
    h('Content-MD5'),
    h('Content-Type'),
    h('Date'),
    h('If-Modified-Since'),
    h('If-Match'),
    h('If-None-Match'),
    h('If-Unmodified-Since'),
    h('Range'),
  ].join('\n') + '\n' + canonHeaders + canonResource;
  const sig = createHmac('sha256', Buffer.from(key, 'base64')).update(stringToSign, 'utf8').digest('base64');
  return `SharedKey ${account}:${sig}`;
}

// Sends one signed request. body: undefined or a readable stream (with its length in contentLength).
function request(method, path, query, { headers = {}, body, contentLength = 0 } = {}) {
  const url = new URL(base.href + path);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const hdrs = {
    'x-ms-date': new Date().toUTCString(),
    'x-ms-version': API_VERSION,
    'content-length': String(contentLength),
    ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  };
  hdrs.authorization = sign(method, url, hdrs);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method, headers: hdrs }, resolve);
    req.on('error', reject);
    if (body) body.on('error', reject).pipe(req);
    else req.end();
  });
}

// A container-level service SAS (sr=c), string-to-sign of version 2020-12-06 and later:
// https://learn.microsoft.com/rest/api/storageservices/create-service-sas
//   sp \n st \n se \n /blob/ACCOUNT/CONTAINER \n si \n sip \n spr \n sv \n sr \n snapshot time \n ses \n
//   rscc \n rscd \n rsce \n rscl \n rsct           (16 fields; the empty ones are empty strings)
// Times are ISO 8601 UTC without fractional seconds, e.g. 2026-10-20T06:00:00Z.
function sas(container, opts) {
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const now = Date.now();
  const st = iso(opts.expired ? now - 2 * 3600e3 : now - 5 * 60e3);
  const se = iso(opts.expired ? now - 3600e3 : now + opts.minutes * 60e3);
  const sv = opts.version;
  const sp = opts.permissions;
  const fields = [sp, st, se, `/blob/${account}/${container}`, '', '', '', sv, 'c', '', '', '', '', '', '', ''];
  const stringToSign = fields.join('\n');
  let signingKey = Buffer.from(key, 'base64');
  // Another 64-byte key, derived from the real one so that it is never the same.
  if (opts.badSignature) signingKey = createHash('sha512').update('not the key').update(signingKey).digest();
  const sig = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('base64');
  if (opts.show) process.stderr.write(JSON.stringify(stringToSign) + '\n');
  const q = new URLSearchParams({ sv, st, se, sr: 'c', sp, sig });
  // URLSearchParams writes ':' as %3A, which Azure accepts; sig's '+', '/', '=' must be percent-encoded.
  return q.toString();
}

async function readAll(res) {
  const parts = [];
  for await (const p of res) parts.push(p);
  return Buffer.concat(parts).toString('utf8');
}

async function check(res, okCodes, what) {
  if (okCodes.includes(res.statusCode)) return;
  const text = await readAll(res);
  die(1, `${what}: HTTP ${res.statusCode} ${res.statusMessage}\n${text}`);
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'mkcontainer' && args.length === 1) {
    const res = await request('PUT', `/${args[0]}`, { restype: 'container' });
    if (res.statusCode === 409) {
      const text = await readAll(res);
      if (!text.includes('ContainerAlreadyExists')) die(1, `mkcontainer: HTTP 409\n${text}`);
    } else {
      await check(res, [201], 'mkcontainer');
      res.resume();
    }
  } else if (cmd === 'put' && (args.length === 3 || args.length === 4)) {
    const [container, blob, file, type] = args;
    const size = statSync(file).size;
    const res = await request('PUT', `/${container}/${encPath(blob)}`, {}, {
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': type || 'application/octet-stream' },
      body: createReadStream(file),
      contentLength: size,
    });
    await check(res, [201], 'put');
    res.resume();
  } else if (cmd === 'get' && (args.length === 2 || args.length === 3)) {
    const [container, blob, out] = args;
    const res = await request('GET', `/${container}/${encPath(blob)}`, {});
    await check(res, [200], 'get');
    await pipeline(res, out ? createWriteStream(out) : process.stdout);
  } else if (cmd === 'list' && args.length === 1) {
    let marker = '';
    do {
      const q = { restype: 'container', comp: 'list' };
      if (marker) q.marker = marker;
      const res = await request('GET', `/${args[0]}`, q);
      await check(res, [200], 'list');
      const xml = await readAll(res);
      for (const m of xml.matchAll(/<Blob>\s*<Name>([^<]*)<\/Name>/g)) {
        process.stdout.write(m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>') + '\n');
      }
      marker = (xml.match(/<NextMarker>([^<]*)<\/NextMarker>/) || [])[1] || '';
    } while (marker);
  } else if (cmd === 'sas' && args.length >= 1) {
    const opts = { permissions: 'rl', version: '2021-08-06', minutes: 120, expired: false, badSignature: false,
      show: false };
    const rest = args.slice(1);
    while (rest.length) {
      const a = rest.shift();
      if (a === '--permissions' && rest.length) opts.permissions = rest.shift();
      else if (a === '--version' && rest.length) opts.version = rest.shift();
      else if (a === '--minutes' && /^[0-9]+$/.test(rest[0] || '')) opts.minutes = Number(rest.shift());
      else if (a === '--expired') opts.expired = true;
      else if (a === '--bad-signature') opts.badSignature = true;
      else if (a === '--show') opts.show = true;
      else die(2, `sas: unknown option ${a}`);
    }
    process.stdout.write(sas(args[0], opts) + '\n');
  } else {
    die(2, 'usage: azput.mjs mkcontainer C | put C BLOB FILE [TYPE] | get C BLOB [OUT] | list C | sas C [OPTIONS]');
  }
} catch (e) {
  die(1, `${cmd}: ${e.message}`);
}
