#!/usr/bin/env python3
"""retailprices: a loopback stand-in for the Azure Retail Prices API, for partnerbill's tests (stdlib only).

GET /api/retail/prices answers as https://prices.azure.com/api/retail/prices documents it: a JSON object
{"BillingCurrency", "CustomerEntityId", "CustomerEntityType", "Items": [...], "NextPageLink", "Count"},
Items filtered by $filter (clauses "FIELD eq 'VALUE'" joined by "and", FIELD one of serviceName,
armRegionName, priceType (the items' "type"), meterId, location, skuName, productName; values compared
case-sensitively, as API version 2023-01-01-preview does) and by currencyCode='CUR' (default USD), --page-size
items a page (the API's is 100), paged with $skip; NextPageLink is the absolute URL of the next page at the
Host the request named (null on the last page), so that a client behind faultproxy.py keeps going through it.

The items come from --items FILE, read again on every request so that a test can change the prices between
two loads: a JSON array of objects. Their prices stay exactly as written in the file: a member whose value is
a string in FILE and whose name is retailPrice, unitPrice or tierMinimumUnits is sent as a JSON number with
those very digits (e.g. "0.12345678901234567890123" goes out as 0.12345678901234567890123, more digits than
a double holds). An item without currencyCode is in every currency.

Usage: retailprices.py --items FILE [--port N] [--page-size N] [--max-seconds S]
Once listening it prints "retailprices listening on http://127.0.0.1:PORT". It listens on 127.0.0.1 only
and exits on SIGTERM, SIGINT or after --max-seconds. A request log goes to stdout: "GET PATH?QUERY STATUS".
"""

import argparse
import json
import re
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler

from loopback import Server, serve

NUMBERS = ("retailPrice", "unitPrice", "tierMinimumUnits")
FIELDS = {"serviceName": "serviceName", "armRegionName": "armRegionName", "priceType": "type",
          "meterId": "meterId", "location": "location", "skuName": "skuName", "productName": "productName"}
CLAUSE = re.compile(r"\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*")


def parse_filter(text):
    """[(item field, value)] of a $filter, or raises ValueError."""
    out = []
    for part in re.split(r"\s+and\s+", text.strip()) if text.strip() else []:
        m = CLAUSE.fullmatch(part)
        if not m or m.group(1) not in FIELDS:
            raise ValueError(f"unsupported $filter clause {part!r}")
        out.append((FIELDS[m.group(1)], m.group(2).replace("''", "'")))
    return out


def encode_item(item):
    members = []
    for k, v in item.items():
        if k in NUMBERS and isinstance(v, str):
            if not re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", v):
                raise ValueError(f"{k} {v!r} is not a JSON number")
            members.append(f"{json.dumps(k)}: {v}")
        else:
            members.append(f"{json.dumps(k)}: {json.dumps(v)}")
    return "{" + ", ".join(members) + "}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "retailprices"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, body, ctype="application/json; charset=utf-8"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        print(f"{self.command} {self.path} {status}", flush=True)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/api/retail/prices":
            return self._send(404, json.dumps({"Error": {"Code": "NotFound", "Message": url.path}}))
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        try:
            clauses = parse_filter(query.get("$filter", [""])[0])
            skip = int(query.get("$skip", ["0"])[0])
            currency = query.get("currencyCode", ["'USD'"])[0].strip("'")
            with open(self.server.items_file, encoding="utf-8") as f:
                items = json.load(f)
        except (ValueError, OSError) as e:
            return self._send(400, json.dumps({"Error": {"Code": "BadRequest", "Message": str(e)}}))
        chosen = [i for i in items if all(str(i.get(k)) == v for k, v in clauses)
                  and i.get("currencyCode", currency) == currency]
        page = chosen[skip:skip + self.server.page_size]
        next_link = None
        if skip + self.server.page_size < len(chosen):
            rest = [(k, v) for k, vs in query.items() if k != "$skip" for v in vs]
            rest.append(("$skip", str(skip + self.server.page_size)))
            host = self.headers.get("Host", "127.0.0.1")
            next_link = f"http://{host}{url.path}?" + "&".join(
                f"{urllib.parse.quote(k, safe='$')}={urllib.parse.quote(v, safe='')}" for k, v in rest)
        try:
            body_items = ",\n    ".join(encode_item(dict(i, currencyCode=currency)) for i in page)
        except ValueError as e:
            return self._send(500, json.dumps({"Error": {"Code": "BadItems", "Message": str(e)}}))
        body = ('{\n  "BillingCurrency": %s,\n  "CustomerEntityId": "Default",\n  "CustomerEntityType": "Retail",\n'
                '  "Items": [\n    %s\n  ],\n  "NextPageLink": %s,\n  "Count": %d\n}\n'
                % (json.dumps(currency), body_items, json.dumps(next_link), len(page)))
        self._send(200, body)

    do_HEAD = do_GET


def main():
    ap = argparse.ArgumentParser(description="Loopback Azure Retail Prices API (see the file's header).")
    ap.add_argument("--items", required=True, help="JSON array of the price items, read on every request")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--page-size", type=int, default=100)
    ap.add_argument("--max-seconds", type=float, default=600)
    a = ap.parse_args()
    if a.page_size < 1:
        ap.error("--page-size must be at least 1")
    server = Server(("127.0.0.1", a.port), Handler)
    server.items_file = a.items
    server.page_size = a.page_size
    why = serve(server, a.max_seconds,
                lambda port: print(f"retailprices listening on http://127.0.0.1:{port}", flush=True))
    print(f"retailprices: exiting: {why or 'max-seconds reached'}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
