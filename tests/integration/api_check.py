#!/usr/bin/env python3
"""pb-api's test helper, standard library only.

  api_check.py validate SPEC MANIFEST
      Checks every response listed in MANIFEST (one a line: METHOD, URL, HEADERS_FILE, BODY_FILE, tab-separated;
      the headers as curl -D writes them) against the OpenAPI document SPEC: the status must be documented
      for the operation, the documented required headers present and matching, the body of the documented
      media type and valid against its schema. A response of no operation (a 405, a 501, an unknown path) is checked
      against the Error schema. Prints "N responses valid" or one line per failure; exit 1 on any.
  api_check.py leak SPEC BASE_URL TOKENS EXISTING UNKNOWN COUNT MONTH
      Sends COUNT requests (keep-alive) of account tokens (TOKENS: "ALIAS TOKEN" lines) for aliases not
      theirs, existing (EXISTING, one a line) and not (UNKNOWN), on both per-account endpoints, and for the
      all-accounts endpoint; every answer must be the same 404 (or 403), byte for byte, headers alike but for
      Date, and valid against SPEC. Prints the counts; exit 1 on any difference.
  api_check.py not-modified BASE_URL TOKEN PATH
      On one raw socket (HTTP/1.1, keep-alive): GET PATH with TOKEN, then the same with the 200's ETag in
      If-None-Match, then GET /healthz. Prints the 304's status line and its headers, one a line, sorted, as
      sent (Date's value as "*", a Content-Length equal to the 200's body length as "=200"), then the status
      line of the answer after it on the connection ("next: ..."): the 304 carried no body bytes.
  api_check.py raw BASE_URL HEADERS_FILE BODY_FILE REQUEST_LINE [HEADER...]
      On one raw socket: REQUEST_LINE, each HEADER and an empty line, each ended by CRLF, as given (nothing is
      added: no Host unless a HEADER is one). Writes the answer's head to HEADERS_FILE as curl -D does and
      its body (Content-Length's bytes, else up to the connection's end) to BODY_FILE, and prints its status
      code; 000, as curl, when the connection ends without an answer. For GET: a HEAD's answer has no body.
  api_check.py framing BASE_URL BODY REQUEST_LINE [HEADER...] [-- BODY REQUEST_LINE [HEADER...]]...
      For each request given (one process for many: each costs a Python start otherwise), on one raw socket: REQUEST_LINE, each HEADER and an empty line, then BODY (in each, Python escapes such
      as \\r\\n or \\x00 read), then "GET /healthz HTTP/1.1" with Connection: close, the next request on the
      connection. Reads until the server closes it (5 s at most) and prints the status code of every answer,
      then the "code" of the first answer's JSON body: a server that keeps the connection after a request
      whose body it cannot frame for sure answers the next one too. The requests' results are printed on one
      line, separated by blanks.
  api_check.py crowd BASE_URL N
      Opens N connections that start a request and never end it (the file descriptors' limit raised to its
      hard limit for them), then GETs /healthz on one more and prints its status code (000 when the
      connection is refused or ends without an answer); then closes them all.
  api_check.py per-client BASE_URL N KEEPS
      Opens N connections from 127.0.0.1 that start a request and never end it, and prints how many the
      server keeps open and how many it closes, then the status codes of a GET /metrics from 127.0.0.2 and
      of one more from 127.0.0.1 meanwhile (000: closed without an answer): "K open C closed|200|000".
  api_check.py limit BASE_URL N KEEPS
      Opens N connections that start a request and never end it, and prints how many the server keeps open
      and how many it closes (or resets, maybe before the request's start is sent), then the status code of a
      GET /healthz on one more meanwhile (000: closed or unanswered within 2 s): "K open C closed|200".
      For both, KEEPS is how many the server is to keep: the count is taken once it has closed the others
      (30 s at most: a loaded machine takes its time), and 0.3 s later, so that it would see one closed too
      many.
  api_check.py slow BASE_URL N
      Opens N connections that send a request's head one byte every 0.1 s and never end it (the first after a
      whole request on the same connection, answered: keep-alive; over https, a TLS ClientHello instead, the
      handshake never ended; and over http, with N of 3 or more, the last one sends at once a request line that
      begins with a NUL, and an empty line, which libmicrohttpd skips as empty lines, and then nothing, waiting
      for an answer), then GETs /metrics on one more; then keeps sending until the server has closed
      every one of them (60 s at most) and GETs /metrics again (until answered, 30 s at most: the server
      counts a connection closed a moment after its client sees it). Prints
      "C closed A answered|FIRST|SECOND": how many the server closed, how many of them got any byte back, and
      the two status codes (000: closed or unanswered within 2 s).
  api_check.py stop BASE_URL PID LOG RESUME_FILE TOKEN PATH
      A stop while serving, against a server started with PB_TEST_PAUSE=api-figures and PB_TEST_RESUME_FILE
      (absent): one keep-alive connection GETs /healthz; another GETs PATH (not cached) with TOKEN, which
      pauses; then SIGTERM to PID, and once LOG says it is stopping: a new connection is tried, the keep-alive
      one GETs /healthz again, RESUME_FILE is made and the paused answer read. Prints, on one line, what the
      new connection got (refused, hung, closed or answered), then for the keep-alive one's second request
      and the paused one their status code, Connection header ("-": none) and whether the server closed the
      connection after the answer (closed, or kept).
  api_check.py get FILE PATH
      Prints the value at PATH (dot-separated keys and list indexes) of the JSON in FILE: strings as they
      are, null as "null", anything else as JSON.

The JSON Schema subset it implements is the one schemas/openapi.json uses; a keyword it does not know is an
error, so that nothing in the document goes unchecked.
"""
import datetime
import decimal
import http.client
import json
import random
import re
import sys
import time
import urllib.parse

IGNORED = {"description", "title", "summary", "examples", "default", "$comment"}


class Invalid(Exception):
    pass


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        path = node["$ref"]
        if not path.startswith("#/"):
            raise Invalid(f"unsupported $ref {path}")
        node = spec
        for part in path[2:].split("/"):
            node = node[part]
    return node


def type_ok(value, t):
    if t == "null":
        return value is None
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool)
    if t == "string":
        return isinstance(value, str)
    if t == "array":
        return isinstance(value, list)
    if t == "object":
        return isinstance(value, dict)
    raise Invalid(f"unknown type {t}")


def check_format(value, fmt, where):
    if not isinstance(value, str):
        return
    try:
        if fmt == "date":
            datetime.date.fromisoformat(value)
        elif fmt == "date-time":
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            raise Invalid(f"{where}: unknown format {fmt}")
    except ValueError:
        raise Invalid(f"{where}: {value!r} is not a {fmt}")


def check_object(spec, value, schema, where):
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            raise Invalid(f"{where}: missing {name}")
    for name, v in value.items():
        if name in props:
            validate(spec, v, props[name], f"{where}.{name}")
        elif schema.get("additionalProperties", True) is False:
            raise Invalid(f"{where}: unexpected member {name}")
        elif isinstance(schema.get("additionalProperties"), dict):
            validate(spec, v, schema["additionalProperties"], f"{where}.{name}")


def validate(spec, value, schema, where="$"):
    schema = resolve(spec, schema)
    for key in schema:
        if key not in IGNORED and key not in KEYWORDS:
            raise Invalid(f"{where}: the validator does not know the keyword {key}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(type_ok(value, t) for t in types):
            raise Invalid(f"{where}: {value!r} is not of type {schema['type']}")
    if "const" in schema and value != schema["const"]:
        raise Invalid(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        raise Invalid(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise Invalid(f"{where}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            raise Invalid(f"{where}: {value!r} has the wrong length")
        if "format" in schema:
            check_format(value, schema["format"], where)
    if isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise Invalid(f"{where}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise Invalid(f"{where}: {value} > {schema['maximum']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            raise Invalid(f"{where}: {len(value)} items")
        if "items" in schema:
            for i, v in enumerate(value):
                validate(spec, v, schema["items"], f"{where}[{i}]")
    if isinstance(value, dict):
        check_object(spec, value, schema, where)


KEYWORDS = {"$ref", "type", "const", "enum", "pattern", "minLength", "maxLength", "format", "minimum", "maximum",
            "minItems", "maxItems", "items", "properties", "required", "additionalProperties"}


def operation(spec, method, path):
    """The operation of METHOD and PATH, or None when the document has none."""
    segs = path.strip("/").split("/")
    for template, item in spec["paths"].items():
        tsegs = template.strip("/").split("/")
        if len(tsegs) != len(segs):
            continue
        if all(t == s or (t.startswith("{") and t.endswith("}")) for t, s in zip(tsegs, segs)):
            # Method names are case-sensitive: "get" is no GET (RFC 9110 section 9.1).
            if not method.isupper():
                return None
            return item.get("get" if method in ("GET", "HEAD") else method.lower())
    return None


def parse_headers(text):
    """The last response's status and headers (lowercase names) from curl -D output."""
    blocks = [b for b in re.split(r"\r?\n\r?\n", text) if b.strip()]
    lines = blocks[-1].splitlines()
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def parse_json(body):
    return json.loads(body.decode("utf-8"), parse_float=decimal.Decimal)


def check_response(spec, method, url, status, headers, body):
    path = urllib.parse.urlsplit(url).path
    op = operation(spec, method, path)
    if op is None:
        validate(spec, parse_json(body), {"$ref": "#/components/schemas/Error"})
        return
    responses = op["responses"]
    if str(status) not in responses:
        raise Invalid(f"status {status} is not documented for {method} {path}")
    resp = resolve(spec, responses[str(status)])
    for name, h in resp.get("headers", {}).items():
        h = resolve(spec, h)
        if name.lower() not in headers:
            if h.get("required"):
                raise Invalid(f"header {name} missing")
            continue
        validate(spec, headers[name.lower()], h["schema"], f"header {name}")
    content = resp.get("content")
    if not content:
        if body and method != "HEAD":
            raise Invalid(f"status {status} has a body")
        return
    ctype = headers.get("content-type", "").split(";")[0].strip()
    if ctype not in content:
        raise Invalid(f"content type {ctype!r} is not among {list(content)}")
    if method == "HEAD":
        return
    value = parse_json(body) if ctype == "application/json" else body.decode("utf-8")
    validate(spec, value, content[ctype]["schema"])


def cmd_validate(spec, manifest):
    n = bad = 0
    with open(manifest) as f:
        for line in f:
            if not line.strip():
                continue
            method, url, hfile, bfile = line.rstrip("\n").split("\t")
            n += 1
            try:
                with open(hfile, encoding="latin-1") as h:
                    status, headers = parse_headers(h.read())
                with open(bfile, "rb") as b:
                    body = b.read()
                check_response(spec, method, url, status, headers, body)
            except (Invalid, ValueError, KeyError) as e:
                bad += 1
                print(f"{method} {url}: {e}")
    print(f"{n - bad} of {n} responses valid against the OpenAPI document")
    return 1 if bad or n == 0 else 0


def fetch(conn, path, token):
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    r = conn.getresponse()
    body = r.read()
    headers = {k.lower(): v for k, v in r.getheaders() if k.lower() != "date"}
    return r.status, headers, body


def cmd_leak(spec, base, tokens_file, existing_file, unknown_file, count, month):
    tokens = [line.split() for line in open(tokens_file) if line.strip()]
    existing = [line.strip() for line in open(existing_file) if line.strip()]
    unknown = [line.strip() for line in open(unknown_file) if line.strip()]
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    rng = random.Random(16)
    ref = {}
    counts = {"existing": 0, "unknown": 0, "list": 0}
    for i in range(count):
        alias, token = tokens[i % len(tokens)]
        kind = ("existing", "unknown", "list")[i % 3]
        if kind == "list":
            path = f"/v1/partner-usage?month={month}"
            want = 403
        else:
            target = rng.choice([a for a in existing if a != alias] if kind == "existing" else unknown)
            path = f"/v1/accounts/{target}/partner-usage" + ("/daily" if rng.random() < 0.5 else "") + f"?month={month}"
            want = 404
        status, headers, body = fetch(conn, path, token)
        if status != want:
            print(f"{path} with {alias}'s token: {status}, not {want}: {body!r}")
            return 1
        if want not in ref:
            try:
                check_response(spec, "GET", path, status, headers, body)
            except Invalid as e:
                print(f"{path}: {e}")
                return 1
            ref[want] = (headers, body)
        elif (headers, body) != ref[want]:
            print(f"{path} with {alias}'s token: the answer differs: {headers} {body!r} vs {ref[want]}")
            return 1
        counts[kind] += 1
    print(f"{count} requests refused alike: {counts['existing']} for other accounts' aliases and "
          f"{counts['unknown']} for unknown ones (404), {counts['list']} for every account's (403)")
    return 0


def read_head(sock, buf):
    """The status line and header lines of the next response on sock, and what follows them in buf."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise Invalid("the connection ended inside a response head")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    return lines[0], lines[1:], rest


def read_exact(sock, buf, n):
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise Invalid("the connection ended inside a body")
        buf += chunk
    return buf[:n], buf[n:]


def cmd_not_modified(base, token, path):
    import socket

    url = urllib.parse.urlsplit(base)
    host = url.netloc
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    auth = f"Authorization: Bearer {token}\r\n"
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n".encode())
    status, lines, buf = read_head(sock, b"")
    ok = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines)}
    if not status.startswith("HTTP/1.1 200 ") or "content-length" not in ok:
        raise Invalid(f"the unconditional GET: {status}, {sorted(ok)}")
    body, buf = read_exact(sock, buf, int(ok["content-length"]))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}If-None-Match: {ok['etag']}\r\n\r\n".encode())
    status, lines, buf = read_head(sock, buf)
    print(status)
    for line in sorted(lines, key=str.lower):
        name, value = line.split(": ", 1)
        if name.lower() == "date":
            value = "*"
        elif name.lower() == "content-length" and value == str(len(body)):
            value = "=200"
        print(f"{name}: {value}")
    sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    status, lines, buf = read_head(sock, buf)
    print(f"next: {status}")
    sock.close()
    return 0


def cmd_raw(base, headers_file, body_file, line, headers):
    import socket

    url = urllib.parse.urlsplit(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=60)
    try:
        sock.sendall("".join(f"{h}\r\n" for h in [line, *headers, ""]).encode("latin-1"))
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before it was all sent: the answer may be there all the same
    try:
        status, lines, buf = read_head(sock, b"")
    except (Invalid, ConnectionResetError):
        print("000")
        return 0
    fields = {k.lower(): v for k, v in (h.split(": ", 1) for h in lines)}
    if "content-length" in fields:
        body, _ = read_exact(sock, buf, int(fields["content-length"]))
    else:
        body = buf
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    sock.close()
    with open(headers_file, "w", encoding="latin-1") as f:
        f.write("".join(f"{h}\r\n" for h in [status, *lines, ""]))
    with open(body_file, "wb") as f:
        f.write(body)
    print(status.split()[1])
    return 0


def cmd_framing(base, args):
    groups = [[]]
    for arg in args:
        if arg == "--":
            groups.append([])
        else:
            groups[-1].append(arg)
    print(" ".join(framing_one(base, g[0], g[1], g[2:]) for g in groups))
    return 0


def framing_one(base, body, line, headers):
    import re
    import socket

    def unescape(text):
        return text.encode("latin-1").decode("unicode_escape").encode("latin-1")

    url = urllib.parse.urlsplit(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=5)
    head = b"".join(unescape(h) + b"\r\n" for h in [line, *headers, ""])
    following = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    sock.sendall(head + unescape(body) + following)
    got = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    sock.close()
    statuses = re.findall(rb"HTTP/1\.[01] (\d{3}) ", got)
    code = re.search(rb'\{"code":"([a-z_]+)"', got)
    return " ".join(s.decode() for s in statuses) + "|" + (code.group(1).decode() if code else "")


def cmd_crowd(base, n):
    import resource
    import socket

    url = urllib.parse.urlsplit(base)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    crowd = []
    try:
        for _ in range(n):
            s = socket.create_connection((url.hostname, url.port), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
            crowd.append(s)
        try:
            sock = socket.create_connection((url.hostname, url.port), timeout=10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            status, _, _ = read_head(sock, b"")
            print(status.split()[1])
            sock.close()
        except (Invalid, OSError):
            print("000")
    finally:
        for s in crowd:
            s.close()
    return 0


def is_closed(s):
    """Whether the server has closed (or reset) connection s: a read that does not wait says so."""
    s.setblocking(False)
    try:
        return s.recv(100) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def settle(crowd, keeps):
    """Until the server has closed all of crowd but keeps (30 s at most), then 0.3 s more."""
    deadline = time.monotonic() + 30
    while sum(is_closed(s) for s in crowd) < len(crowd) - keeps and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)


def metrics_status(url, timeout, source=None, tls=False):
    """The status of a GET /metrics on a connection of its own (from source, over TLS if tls), or "000"."""
    import socket
    import ssl

    try:
        sock = socket.create_connection((url.hostname, url.port), timeout=timeout,
                                        source_address=(source, 0) if source else None)
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        status, _, _ = read_head(sock, b"")
        sock.close()
        return status.split()[1]
    except (Invalid, OSError):
        return "000"


def cmd_per_client(base, n, keeps):
    import socket

    url = urllib.parse.urlsplit(base)
    crowd = []

    def one(source):
        return metrics_status(url, 5, source=source)

    try:
        for _ in range(n):
            s = socket.create_connection((url.hostname, url.port), timeout=5, source_address=("127.0.0.1", 0))
            s.sendall(b"GET /healthz HTTP/1.1\r\n")
            crowd.append(s)
        settle(crowd, keeps)
        states = {"open": 0, "closed": 0}
        for s in crowd:
            states["closed" if is_closed(s) else "open"] += 1
        print("%d open %d closed|%s|%s" % (states["open"], states["closed"], one("127.0.0.2"), one("127.0.0.1")))
    finally:
        for s in crowd:
            s.close()
    return 0


def cmd_limit(base, n, keeps):
    import socket

    url = urllib.parse.urlsplit(base)
    crowd = []
    closed = 0
    try:
        for _ in range(n):
            s = socket.create_connection((url.hostname, url.port), timeout=5)
            crowd.append(s)
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\n")
            except OSError:
                pass  # closed at once: counted below
        settle(crowd, keeps)
        kept = []
        for s in crowd:
            if is_closed(s):
                closed += 1
            else:
                kept.append(s)
        try:
            sock = socket.create_connection((url.hostname, url.port), timeout=2)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            status, _, _ = read_head(sock, b"")
            extra = status.split()[1]
            sock.close()
        except (Invalid, OSError):
            extra = "000"
        print("%d open %d closed|%s" % (len(kept), closed, extra))
    finally:
        for s in crowd:
            s.close()
    return 0


def client_hello():
    """The first bytes a TLS client sends: its ClientHello (made by Python's ssl, never sent whole)."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def cmd_slow(base, n):
    import socket

    url = urllib.parse.urlsplit(base)
    https = url.scheme == "https"
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"x" * 5000
    if https:
        head = client_hello()
    crowd = []
    quiet = [False] * n  # sends nothing more

    def probe():
        return metrics_status(url, 2, tls=https)

    try:
        for i in range(n):
            s = socket.create_connection((url.hostname, url.port), timeout=5)
            if i == 0 and not https:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                _, lines, rest = read_head(s, b"")
                length = [v for k, _, v in (h.partition(":") for h in lines) if k.lower() == "content-length"]
                read_exact(s, rest, int(length[0]))
            if i == n - 1 and n >= 3 and not https:
                s.sendall(b"\x00GET /healthz HTTP/1.0\r\n\r\n")
                quiet[i] = True
            else:
                s.sendall(head[:1])
            crowd.append(s)
        first = probe()
        state = [None] * n  # None: open; "closed", or "answered" when bytes came back
        sent = 1
        deadline = time.monotonic() + 60
        while None in state and time.monotonic() < deadline and sent < len(head):
            time.sleep(0.1)
            for i, s in enumerate(crowd):
                if state[i]:
                    continue
                s.setblocking(False)
                try:
                    got = s.recv(100)
                    state[i] = "answered" if got else "closed"
                except BlockingIOError:
                    if quiet[i]:
                        continue
                    try:
                        s.send(head[sent:sent + 1])
                    except OSError:
                        state[i] = "closed"
                except OSError:
                    state[i] = "closed"
            sent += 1
        # The server counts a connection closed a moment after the client sees it closed: tried again (30 s).
        second = probe()
        deadline = time.monotonic() + 30
        while second == "000" and time.monotonic() < deadline:
            time.sleep(0.1)
            second = probe()
        print("%d closed %d answered|%s|%s" % (state.count("closed") + state.count("answered"),
                                               state.count("answered"), first, second))
    finally:
        for s in crowd:
            s.close()
    return 0


def cmd_stop(base, pid, log, resume, token, path):
    import os
    import signal
    import socket

    url = urllib.parse.urlsplit(base)
    host = url.netloc

    def said(text):
        with open(log, encoding="utf-8", errors="replace") as f:
            return f.read().count(text)

    def wait_for(text, n):
        for _ in range(300):
            if said(text) >= n:
                return
            time.sleep(0.05)
        raise Invalid(f"the log never said {text!r}")

    def answer(sock, buf):
        """The next answer's status code and Connection header, and whether the connection ends after it."""
        status, lines, buf = read_head(sock, buf)
        fields = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines)}
        _, buf = read_exact(sock, buf, int(fields.get("content-length", "0")))
        sock.settimeout(10)  # a closing server on a loaded machine: kept is said after 10 s
        try:
            ended = "closed" if not buf and sock.recv(100) == b"" else "kept"
        except socket.timeout:
            ended = "kept"
        except ConnectionResetError:
            ended = "closed"
        return "%s %s %s" % (status.split()[1], fields.get("connection", "-"), ended)

    paused = said("test pause at api-figures")
    idle = socket.create_connection((url.hostname, url.port), timeout=10)
    health = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    idle.sendall(health)
    status, lines, buf = read_head(idle, b"")
    fields = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines)}
    _, buf = read_exact(idle, buf, int(fields["content-length"]))
    held = socket.create_connection((url.hostname, url.port), timeout=10)
    held.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    wait_for("test pause at api-figures", paused + 1)
    os.kill(int(pid), signal.SIGTERM)
    wait_for("SIGTERM: stopping", 1)
    try:
        late = socket.create_connection((url.hostname, url.port), timeout=2)
        late.sendall(health)
        late.settimeout(1.5)
        new = "answered" if late.recv(100) else "closed"
        late.close()
    except ConnectionRefusedError:
        new = "refused"
    except socket.timeout:
        new = "hung"
    except ConnectionResetError:
        new = "closed"
    idle.sendall(health)
    again = answer(idle, buf)
    with open(resume, "w"):
        pass
    print("%s|%s|%s" % (new, again, answer(held, b"")))
    idle.close()
    held.close()
    return 0


def cmd_get(path_file, path):
    with open(path_file, "rb") as f:
        value = parse_json(f.read())
    for part in path.split(".") if path else []:
        value = value[int(part)] if isinstance(value, list) else value[part]
    if isinstance(value, str):
        print(value)
    elif value is None:
        print("null")
    else:
        print(json.dumps(value, default=str))
    return 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "validate":
        with open(argv[2]) as f:
            return cmd_validate(json.load(f), argv[3])
    if len(argv) == 9 and argv[1] == "leak":
        with open(argv[2]) as f:
            return cmd_leak(json.load(f), argv[3], argv[4], argv[5], argv[6], int(argv[7]), argv[8])
    if len(argv) == 5 and argv[1] == "not-modified":
        return cmd_not_modified(argv[2], argv[3], argv[4])
    if len(argv) >= 6 and argv[1] == "raw":
        return cmd_raw(argv[2], argv[3], argv[4], argv[5], argv[6:])
    if len(argv) >= 5 and argv[1] == "framing":
        return cmd_framing(argv[2], argv[3:])
    if len(argv) == 4 and argv[1] == "crowd":
        return cmd_crowd(argv[2], int(argv[3]))
    if len(argv) == 5 and argv[1] == "per-client":
        return cmd_per_client(argv[2], int(argv[3]), int(argv[4]))
    if len(argv) == 5 and argv[1] == "limit":
        return cmd_limit(argv[2], int(argv[3]), int(argv[4]))
    if len(argv) == 4 and argv[1] == "slow":
        return cmd_slow(argv[2], int(argv[3]))
    if len(argv) == 8 and argv[1] == "stop":
        return cmd_stop(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7])
    if len(argv) == 4 and argv[1] == "get":
        return cmd_get(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
