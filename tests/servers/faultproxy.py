#!/usr/bin/env python3
"""faultproxy: a loopback HTTP/1.1 server that injects faults, for partnerbill's tests (stdlib only).

It forwards every request (method, request target, headers including Authorization and x-amz-*, Host
too, and the body, streamed: all unchanged, so SigV4 and Shared Key signatures stay valid) to an upstream
such as an s3rver endpoint (--upstream; only its scheme, host and port are used, the request's path and
query are sent as received), or serves the files of a folder (--dir: GET and HEAD, single byte ranges). Requests picked
by a fault script get a fault instead. It listens on 127.0.0.1 only, streams bodies in 64 KiB pieces in both
directions (files of 100 MB are fine), exits on SIGTERM or SIGINT, and exits by itself after --max-seconds.

Usage:
  faultproxy.py (--upstream URL | --dir DIR) [--port N] [--log FILE] [--log-headers] [--max-seconds S]
                [--etag N [--weak-etag]] [--no-last-modified]
                [--tls-cert FILE --tls-key FILE]
                [--fault RULE]... [--fault-per-path RULE]... [--script TEXT] [--script-file FILE]

  --port 0 (the default) takes a free port. Once listening it prints one line to stdout:
  "faultproxy listening on http://127.0.0.1:PORT" (https:// with --tls-cert: it then speaks TLS with that
  certificate and key, PEM files; the upstream is still reached as its URL says).
  --log-headers adds the names (never the values) of each request's headers to its log line.
  --no-last-modified (with --dir) sends no Last-Modified.
  --etag N (with --dir) sends an ETag of N characters (the file's MD5 in hex, padded) and answers 412 to a
  request whose If-Match is not that ETag; it and Last-Modified come with a 416 too (a Range past the file's
  end: "Content-Range: bytes */SIZE", as for any range of an empty file). --weak-etag (with --etag) sends it as a weak one (W/"..."),
  which no If-Match matches: every request with one is answered 412.

Fault rules
  RULE    := WHEN ":" ACTION [":" OPTION]...
  WHEN    := COUNT ["@" GLOB]
  COUNT   := N          the Nth request (1-based)
           | N-M | N-   requests N to M, N onwards
           | *          every request
  GLOB    := an fnmatch pattern matched against the request's path without its query, e.g. /cur/*.csv.gz

  With --fault, COUNT numbers the requests the proxy receives (all of them, or with @GLOB only those whose
  path matches GLOB, so "2@*.gz" is the second request for any .gz). With --fault-per-path, COUNT numbers
  each distinct path's requests separately: "--fault-per-path 1:500" makes the first request for every
  key fail once, and its retry pass through. The first rule that matches a request wins; a request no rule
  matches passes through. Repeated HEAD/GET/PUT of one path all count for that path.

  ACTION  := NNN          answer with that HTTP status and an S3-style XML error body
                          (Code: 400 BadRequest, 403 AccessDenied, 404 NoSuchKey, 429 SlowDown,
                           500 InternalError, 503 SlowDown, others InjectedFault), keeping the connection
             options:     retry-after=S  adds "Retry-After: S";  code=NAME  sets the XML Code;
                          retry-after-date=S  adds "Retry-After: DATE", the HTTP date S seconds (negative: in the
                          past) after the answer's Date
           | reset        read the request, then close the socket with SO_LINGER 0 (the client sees a
                          TCP RST: curl exit 56, or 52 when nothing at all arrived)
           | close        read the request, then close the connection cleanly with no answer (curl exit 52)
           | stall=S      read the request, answer nothing for S seconds, then close
           | delay=S      wait S seconds, then pass through normally
           | truncate=N   forward, send the upstream's status and headers (its real Content-Length) and
                          only the first N body bytes, then close (curl exit 18)
             options:     hold=S  keep the connection open S seconds after the N bytes before closing;
                          rst  close with a TCP RST instead of a FIN;
                          early=K  (--dir) answer a Range request from K bytes before the first byte
                          asked for, its Content-Range saying so (a server that resumes at the wrong place);
                          nolength  send no Content-Length (the body ends where the connection closes), so
                          that the cut is a clean end of the body;
                          chunked  (--dir) send the body chunked, no Content-Length, and cut it before its last
                          chunk
           | corrupt=N    pass through, with the body byte at offset N (from 0) of the answer changed (its bits
                          inverted): a body damaged on its way that keeps its length
           | extra=N      pass through, the body followed by N more bytes ("x") that its Content-Length does not
                          count, sent with its last piece (a server sending more than it announced)
           | length=V     pass through with Content-Length V instead of the real one (any text: 9223372036854775808),
                          the real body sent, then the connection closed
             options:     dup  keep the real Content-Length and send "Content-Length: V" after it (two lines;
                          libcurl takes the last);
                          chunked  (--dir) send the body chunked, "Transfer-Encoding: chunked" beside the
                          Content-Length V (a message whose framing says two things: RFC 9112 6.3)
           | slow=BPS     pass through, the body sent a byte at a time, BPS bytes a second (a slow-loris server)
           | header=N     pass through, with a header line "X-Fault: " and N bytes ("a") more in the answer
             options:     nul  the last of the N bytes a NUL byte (a header line libcurl refuses)
           | redirect=PORT  answer 307 with Location: the proxy's own scheme, 127.0.0.1:PORT and the request's
                          path and query (a redirect to another server on loopback; PORT 0 is the proxy's
                          own port: a redirect loop)
             options:     status=N  another redirect status (301, 302, 303, 308)
           | longer=N     (--dir) answer a Range request with N bytes ("x") more than the file has after the first
                          byte asked for, its Content-Range "bytes FIRST-LAST/*" (no total) and Content-Length
                          counting them (an object that grew, from a server that does not say its length); a
                          request without Range passes
           | trailer=N=V  (--dir) answer with the body chunked, no Content-Length, and the trailer field "N: V" after its
                          last chunk (Content-Length=5: a trailer that is no part of the answer's framing)
           | serve=NAME   (--dir) answer with the whole file NAME of the folder instead, 200 whatever Range asks (a
                          server that ignores Range, whose object changed: give NAME the same mtime to keep
                          its Last-Modified)
             options:     range  honour Range (a 206 of NAME's bytes); nocr  a 206 without its Content-Range;
                          chunked  send the body chunked, no Content-Length
           | noetags      pass through, the answer's body read whole and sent without its <Etag> elements (an Azure
                          listing that gives no blob's ETag), its Content-Length counting what is sent
           | noifmatch    pass through without the request's If-Match (a server that ignores it); the request
                          must not be signed over it (a SAS is not, Shared Key is)
           | etag=V       pass through with "ETag: V" instead of the answer's ETag (an empty V: none), on a 200 or
                          206 (any text without ":" or ";": W/"x", "a", "b")
             options:     dup  keep the answer's ETag and send "ETag: V" after it (two lines)
           | bare416      (--dir) pass through, a Range past the file's end answered 416 without its Content-Range
                          (some servers send none)
             options:     novalidators  without the file's ETag and Last-Modified either
           | range416     (--dir) pass through, a request with a Range answered 416 whatever it asks, with the file's
                          Content-Range (bytes */SIZE) and validators (a server that is wrong, or whose object
                          changed between the range and the length it gives)
             options:     tworanges  a second Content-Range after it, bytes */0 (two answers in one)
                          zero       bytes */0 in its place (an object of no bytes, with the file's validators)
           | pass         pass through (to exempt requests from a later rule)

  Any rule may end with the option method=M (GET, HEAD...): it then picks requests of that method only, counted
  as the others are (*:405:method=HEAD refuses every HEAD, a server that serves GET alone).

  Examples:  --fault 1:500 --fault 2:429:retry-after=1 --fault 3:reset --fault 4:stall=30
             --fault 5:truncate=1000 --fault 6:403:code=InvalidAccessKeyId
             --fault-per-path '1@*.csv.gz:503'    first GET of each .csv.gz fails once
             --fault '*@/bucket/missing:404'

  --script TEXT and --script-file FILE hold rules separated by newlines or ";", with "#" comments; a rule
  counted per path is written "per-path RULE", e.g.
      1:500              # the very first request
      per-path 1:reset   # then each path's first request is reset
  Rules from all options are tried in the order given on the command line.

Request log (--log FILE): one line per request, written when the proxy has acted on it (a stall is logged
when it begins), which may be after the client took the answer and ended; FILE.begun has a line for each
request as it begins, so that a test can wait until every request begun is logged; then count attempts:
  n=3 path_n=1 method=GET path=/bkt/a.gz query=- fault=reset status=- bytes=0 ms=2
and with --log-headers the header names, lower case, in the order received:
  n=1 path_n=1 method=GET path=/bkt/a.gz query=- fault=pass status=200 bytes=9 ms=1 headers=host,authorization
n is the request's number, path_n its number among requests for the same path, fault the rule's action
("pass" when none matched), status the status sent ("-" when none), bytes the response body bytes sent.
Paths and queries are logged as received (percent-encoded, no spaces). Count attempts for a key with
  grep -c ' path=/bkt/a.gz ' FILE
"""

import argparse
import fnmatch
import hashlib
import http.client
import mimetypes
import os
import re
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

from loopback import Server, serve

CHUNK = 64 * 1024
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
}
ERROR_CODES = {
    400: "BadRequest",
    403: "AccessDenied",
    404: "NoSuchKey",
    429: "SlowDown",
    500: "InternalError",
    503: "SlowDown",
}


class ScriptError(Exception):
    pass


class Rule:
    """One fault rule: which requests it picks and what it does to them."""

    def __init__(self, text, per_path):
        self.text = text
        self.per_path = per_path
        fields = text.split(":")
        if len(fields) < 2:
            raise ScriptError(f"rule {text!r}: want WHEN:ACTION")
        when, action, opts = fields[0], fields[1], fields[2:]
        count, _, glob = when.partition("@")
        self.glob = glob or None
        count = count.strip()
        if count == "*":
            self.lo, self.hi = 1, None
        elif re.fullmatch(r"\d+", count):
            self.lo = self.hi = int(count)
        elif m := re.fullmatch(r"(\d+)-(\d*)", count):
            self.lo = int(m.group(1))
            self.hi = int(m.group(2)) if m.group(2) else None
        else:
            raise ScriptError(f"rule {text!r}: bad count {count!r}")
        if self.lo < 1:
            raise ScriptError(f"rule {text!r}: requests are numbered from 1")

        name, _, arg = action.partition("=")
        self.options = {}
        self.method = None
        for o in opts:
            k, _, v = o.partition("=")
            if k == "method":  # any action's: the rule picks requests of that method only
                if not re.fullmatch(r"[A-Z]+", v):
                    raise ScriptError(f"rule {text!r}: method wants a method in capitals")
                self.method = v
                continue
            self.options[k] = v
        self.status = None
        self.seconds = None
        self.nbytes = None
        if re.fullmatch(r"[1-5]\d\d", name) and not arg:
            self.kind = "status"
            self.status = int(name)
            self._allow_options("retry-after", "code", "retry-after-date")
            if "retry-after" in self.options and not self.options["retry-after"]:
                raise ScriptError(f"rule {text!r}: retry-after wants a value")
            if "retry-after-date" in self.options and not re.fullmatch(r"-?\d+", self.options["retry-after-date"]):
                raise ScriptError(f"rule {text!r}: retry-after-date wants a whole number of seconds")
        elif name in ("reset", "close", "pass", "noifmatch", "noetags") and not arg:
            self.kind = name
            self._allow_options()
        elif name == "bare416" and not arg:
            self.kind = name
            self._allow_options("novalidators")
        elif name == "range416" and not arg:
            self.kind = name
            self._allow_options("tworanges", "zero")
        elif name in ("stall", "delay"):
            self.kind = name
            self.seconds = self._number(arg, float)
            self._allow_options()
        elif name == "truncate":
            self.kind = name
            self.nbytes = self._number(arg, int)
            self._allow_options("hold", "rst", "early", "nolength", "chunked")
            if "hold" in self.options:
                self.options["hold"] = self._number(self.options["hold"], float)
            if "early" in self.options:
                self.options["early"] = self._number(self.options["early"], int)
        elif name in ("extra", "slow"):
            self.kind = name
            self.nbytes = self._number(arg, int)
            self._allow_options()
            if name == "slow" and self.nbytes < 1:
                raise ScriptError(f"rule {text!r}: slow wants at least 1 byte a second")
        elif name == "serve":
            self.kind = name
            self.serve = arg
            self._allow_options("range", "nocr", "chunked")
            if not arg or "/" in arg:
                raise ScriptError(f"rule {text!r}: serve wants a file name of the folder")
        elif name == "trailer":
            self.kind = name
            if "=" not in arg or not arg.split("=", 1)[0]:
                raise ScriptError(f"rule {text!r}: trailer wants NAME=VALUE")
            self.trailer = tuple(arg.split("=", 1))
            self._allow_options()
        elif name == "longer":
            self.kind = name
            self.nbytes = self._number(arg, int)
            self._allow_options()
        elif name == "header":
            self.kind = name
            self.nbytes = self._number(arg, int)
            self._allow_options("nul")
            if "nul" in self.options and self.nbytes < 1:
                raise ScriptError(f"rule {text!r}: nul wants at least 1 byte")
        elif name == "length":
            self.kind = name
            self.length = arg
            self._allow_options("dup", "chunked")
        elif name == "etag":
            self.kind = name
            self.etag = arg
            self._allow_options("dup")
        elif name == "corrupt":
            self.kind = name
            self.nbytes = self._number(arg, int)
            self._allow_options()
        elif name == "redirect":
            self.kind = name
            self.port = self._number(arg, int)
            self._allow_options("status")
            self.status = self._number(self.options.get("status", "307"), int)
            if self.status not in (301, 302, 303, 307, 308):
                raise ScriptError(f"rule {text!r}: status {self.status} is not a redirect")
        else:
            raise ScriptError(f"rule {text!r}: unknown action {action!r}")
        self.label = action if not opts else action + ":" + ":".join(opts)

    def _number(self, s, typ):
        try:
            v = typ(s)
        except ValueError:
            raise ScriptError(f"rule {self.text!r}: {s!r} is not a number") from None
        if v < 0:
            raise ScriptError(f"rule {self.text!r}: {s!r} is negative")
        return v

    def _allow_options(self, *names):
        for k in self.options:
            if k not in names:
                raise ScriptError(f"rule {self.text!r}: unknown option {k!r}")

    def matches(self, method, path, n_glob, n_path):
        if self.method is not None and method != self.method:
            return False
        if self.glob is not None and not fnmatch.fnmatchcase(path, self.glob):
            return False
        n = n_path if self.per_path else n_glob
        return n >= self.lo and (self.hi is None or n <= self.hi)


def parse_script(text):
    rules = []
    for line in re.split(r"[\n;]", text):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        per_path = False
        if line.startswith("per-path"):
            per_path = True
            line = line[len("per-path"):].strip()
        rules.append(Rule(line, per_path))
    return rules


class State:
    def __init__(self, rules, log_path):
        self.rules = rules
        self.lock = threading.Lock()
        self.n = 0
        self.by_glob = {}  # glob (None: all requests) -> requests counted so far
        self.by_path = {}
        self.log = open(log_path, "a", buffering=1) if log_path else None
        # LOG.begun: a line for each request as it begins, so that a test can wait until each is in the log.
        self.begun = open(log_path + ".begun", "a", buffering=1) if log_path else None
        self.started = time.monotonic()

    def pick(self, method, path):
        """Numbers a request and finds its rule; returns (n, path_n, rule or None)."""
        with self.lock:
            self.n += 1
            n = self.n
            if self.begun:
                self.begun.write(f"{n}\n")
            self.by_path[path] = path_n = self.by_path.get(path, 0) + 1
            globs = {r.glob for r in self.rules}
            counts = {}
            for g in globs:
                if g is None or fnmatch.fnmatchcase(path, g):
                    self.by_glob[g] = counts[g] = self.by_glob.get(g, 0) + 1
            for r in self.rules:
                if (r.glob is None or r.glob in counts) and r.matches(method, path, counts.get(r.glob, 0), path_n):
                    return n, path_n, r
            return n, path_n, None

    def write_log(self, line):
        if self.log:
            with self.lock:
                self.log.write(line + "\n")

    def note(self, msg):
        self.write_log(f"# {msg}")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultproxy"
    sys_version = ""
    timeout = 300  # an idle keep-alive connection is dropped after this

    # Expect: 100-continue is answered only once the request's fate is known (see _continue).
    def handle_expect_100(self):
        self._expect_flag = True
        return True

    def log_message(self, fmt, *args):  # the request log replaces the default stderr lines
        pass

    def setup(self):
        if self.server.tls:
            self.request.settimeout(30)
            try:
                self.request.do_handshake()
            except (OSError, ssl.SSLError):
                self.request.close()
                raise
            self.request.settimeout(None)
        super().setup()

    def do_GET(self):
        self._handle()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    # -- request plumbing ---------------------------------------------------------------------------------

    def _handle(self):
        st = self.server.state
        self._t0 = time.monotonic()
        self._sent = 0
        self._corrupt_at = None
        self._extra = 0
        self._length = None
        self._length_dup = False
        self._length_chunked = False
        self._etag = None
        self._etag_dup = False
        self._no_if_match = False
        self._no_etags = False
        self._slow = None
        self._header = None
        self._header_nul = False
        self._nolength = False
        self._chunked = False
        self._trailer = None
        self._bare416 = None  # "bare" or "novalidators": how a 416 leaves out what it would say; "range": any Range
        self._status = "-"
        self._continued = False
        self._dropped = False
        self._expects_100 = getattr(self, "_expect_flag", False)
        self._expect_flag = False
        path, _, query = self.path.partition("?")
        self._path, self._query = path, query
        n, path_n, rule = st.pick(self.command, path)
        self._n, self._path_n = n, path_n
        label = rule.label if rule else "pass"
        try:
            if rule is None or rule.kind == "pass":
                self._forward()
            elif rule.kind == "status":
                self._fault_status(rule)
            elif rule.kind == "redirect":
                self._redirect(rule)
            elif rule.kind in ("reset", "close"):
                self._read_body(discard=True, send_continue=False)
                self._log(label)
                self._drop(rst=rule.kind == "reset")
                return
            elif rule.kind == "stall":
                self._log(label)
                self.wfile.flush()
                time.sleep(rule.seconds)
                self._drop(rst=False)
                return
            elif rule.kind == "delay":
                time.sleep(rule.seconds)
                self._forward()
            elif rule.kind == "corrupt":
                self._corrupt_at = rule.nbytes
                self._forward()
            elif rule.kind == "noifmatch":
                self._no_if_match = True
                self._forward()
            elif rule.kind == "noetags":
                self._no_etags = True
                self._forward()
            elif rule.kind == "etag":
                self._etag = rule.etag
                self._etag_dup = "dup" in rule.options
                self._forward()
            elif rule.kind == "header":
                self._header = rule.nbytes
                self._header_nul = "nul" in rule.options
                self._forward()
            elif rule.kind == "trailer":
                self._chunked = True
                self._trailer = rule.trailer
                self._serve_file(None, 0, False)
            elif rule.kind == "longer":
                self._serve_file(None, 0, False, longer=rule.nbytes)
            elif rule.kind == "bare416":
                self._bare416 = "novalidators" if "novalidators" in rule.options else "bare"
                self._serve_file(None, 0, False)
            elif rule.kind == "range416":
                self._bare416 = next((o for o in ("tworanges", "zero") if o in rule.options), "range")
                self._serve_file(None, 0, False)
            elif rule.kind == "serve":
                self._chunked = "chunked" in rule.options
                self._serve_file(None, 0, False, serve=rule.serve, serve_range="range" in rule.options,
                                 no_content_range="nocr" in rule.options)
            elif rule.kind in ("extra", "length", "slow"):
                self._extra = rule.nbytes if rule.kind == "extra" else 0
                self._slow = rule.nbytes if rule.kind == "slow" else None
                if rule.kind == "length":
                    self._length = rule.length
                    self._length_dup = "dup" in rule.options
                    self._chunked = self._length_chunked = "chunked" in rule.options
                    self.close_connection = True
                self._forward()
            elif rule.kind == "truncate":
                self._nolength = "nolength" in rule.options
                self._chunked = "chunked" in rule.options
                self._forward(limit=rule.nbytes, hold=rule.options.get("hold", 0), rst="rst" in rule.options,
                              early=rule.options.get("early", 0))
                if self._dropped:
                    self._log(label)
                    return
        except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
            self.close_connection = True
            self._log(label, note=type(e).__name__)
            return
        self._log(label)

    def _log(self, label, note=None):
        ms = int((time.monotonic() - self._t0) * 1000)
        line = (
            f"n={self._n} path_n={self._path_n} method={self.command} path={self._path} "
            f"query={self._query or '-'} fault={label} status={self._status} bytes={self._sent} ms={ms}"
        )
        if note:
            line += f" note={note}"
        if self.server.log_headers:
            line += " headers=" + ",".join(k.lower() for k in self.headers.keys())
        self.server.state.write_log(line)

    def _continue(self):
        if self._expects_100 and not self._continued:
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
            self._continued = True

    def _body_length(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            return "chunked"
        cl = self.headers.get("Content-Length")
        return int(cl) if cl else 0

    def _body_pieces(self):
        """Yields the request body in pieces, de-chunked if it came chunked."""
        length = self._body_length()
        if length == "chunked":
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ConnectionResetError("client closed during chunked body")
                size = int(line.split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                left = size
                while left:
                    piece = self.rfile.read(min(CHUNK, left))
                    if not piece:
                        raise ConnectionResetError("client closed during body")
                    left -= len(piece)
                    yield piece
                self.rfile.readline(3)
        else:
            left = length
            while left > 0:
                piece = self.rfile.read(min(CHUNK, left))
                if not piece:
                    raise ConnectionResetError("client closed during body")
                left -= len(piece)
                yield piece

    def _read_body(self, discard, send_continue):
        """Reads and drops the request body. A client waiting for 100 Continue gets none when
        send_continue is false: it then sends no body (or sends it late, to a closed socket)."""
        if self._expects_100 and not send_continue:
            return
        self._continue()
        for _ in self._body_pieces():
            pass

    def _drop(self, rst):
        """Closes the client connection now: with a RST (SO_LINGER 0) or a FIN."""
        self.close_connection = True
        self._dropped = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        sock = self.connection
        try:
            if rst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        # the read buffer holds a reference to the socket: close it so that close() really closes the fd
        try:
            self.rfile.close()
        except OSError:
            pass
        sock.close()

    def _send_head(self, status, reason, headers):
        self._status = status
        out = [f"HTTP/1.1 {status} {reason}\r\n"]
        if self._length is not None and status in (200, 206):
            if self._length_dup:
                at = [i for i, (k, _) in enumerate(headers) if k.lower() == "content-length"]
                headers = list(headers)
                headers.insert(at[0] + 1 if at else len(headers), ("Content-Length", self._length))
            else:
                headers = [(k, self._length if k.lower() == "content-length" else v) for k, v in headers]
            if self.close_connection and not any(k.lower() == "connection" for k, _ in headers):
                headers.append(("Connection", "close"))
        if self._etag is not None and status in (200, 206):
            at = [i for i, (k, _) in enumerate(headers) if k.lower() == "etag"]
            if not self._etag_dup:
                headers = [(k, v) for k, v in headers if k.lower() != "etag"]
            if self._etag:
                headers = list(headers)
                headers.insert(at[0] + 1 if at and self._etag_dup else len(headers), ("ETag", self._etag))
        if self._nolength and status in (200, 206):
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            if not any(k.lower() == "connection" for k, _ in headers):
                headers.append(("Connection", "close"))
        if self._chunked and status in (200, 206):
            if not self._length_chunked:
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Transfer-Encoding", "chunked"))
        if self._header is not None:
            value = "a" * (self._header - 1) + "\0" if self._header_nul else "a" * self._header
            headers = list(headers) + [("X-Fault", value)]
        for k, v in headers:
            out.append(f"{k}: {v}\r\n")
        out.append("\r\n")
        self.wfile.write("".join(out).encode("latin-1"))

    def _send_piece(self, data, last=False):
        at = self._corrupt_at
        if at is not None and self._sent <= at < self._sent + len(data):
            i = at - self._sent
            data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
        if last and self._extra and self._status in (200, 206):
            data += b"x" * self._extra
        if self._slow and self._status in (200, 206):
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(1 / self._slow)
        elif self._chunked and self._status in (200, 206):
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        else:
            self.wfile.write(data)
        self._sent += len(data)

    # -- faults -------------------------------------------------------------------------------------------

    def _fault_status(self, rule):
        status = rule.status
        code = rule.options.get("code") or ERROR_CODES.get(status, "InjectedFault")
        reqid = f"FAULTPROXY{self._n:06d}"
        now = int(time.time())  # the Date, and a Retry-After date counted from it
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>faultproxy: injected {status} for request {self._n}"
            f"</Message><Resource>{self._path}</Resource><RequestId>{reqid}</RequestId></Error>"
        ).encode()
        # A client still waiting for 100 Continue gets the final answer instead, and the connection is
        # closed since its body (if it sends one anyway) is not read.
        if self._expects_100:
            self.close_connection = True
        else:
            self._read_body(discard=True, send_continue=True)
        headers = [
            ("Content-Type", "application/xml"),
            ("Content-Length", str(len(body))),
            ("x-amz-request-id", reqid),
            ("Date", self.date_time_string(now)),
            ("Server", "faultproxy"),
        ]
        if "retry-after" in rule.options:
            headers.append(("Retry-After", rule.options["retry-after"]))
        if "retry-after-date" in rule.options:
            headers.append(("Retry-After", self.date_time_string(now + int(rule.options["retry-after-date"]))))
        if self.close_connection:
            headers.append(("Connection", "close"))
        self._send_head(status, http.client.responses.get(status, "Fault"), headers)
        if self.command != "HEAD":
            self._send_piece(body)
        self.wfile.flush()

    def _redirect(self, rule):
        self._read_body(discard=True, send_continue=True)
        scheme = "https" if self.server.tls else "http"
        port = rule.port or self.server.server_address[1]
        where = f"{scheme}://127.0.0.1:{port}{self.path}"
        self._simple(rule.status, http.client.responses.get(rule.status, "Redirect"), [("Location", where)])

    # -- pass-through -------------------------------------------------------------------------------------

    def _forward(self, limit=None, hold=0, rst=False, early=0):
        if self.headers.get("Connection", "").lower() == "close":
            self.close_connection = True
        if self.server.dir:
            return self._serve_file(limit, hold, rst, early)
        up = self.server.upstream
        conn_cls = http.client.HTTPSConnection if up.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(up.hostname, up.port, timeout=self.server.upstream_timeout)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP_BY_HOP and not (self._no_if_match and k.lower() == "if-match"):
                    conn.putheader(k, v)
            length = self._body_length()
            if length == "chunked":
                conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            if length == "chunked":
                self._continue()
                for piece in self._body_pieces():
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                conn.send(b"0\r\n\r\n")
            elif length:
                self._continue()
                for piece in self._body_pieces():
                    conn.send(piece)
            try:
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as e:
                return self._bad_gateway(e)
            self._relay(resp, limit, hold, rst)
        except (ConnectionRefusedError, socket.gaierror) as e:
            self._bad_gateway(e)
        finally:
            conn.close()

    def _bad_gateway(self, err):
        body = f"faultproxy: upstream failed: {err}\n".encode()
        self.close_connection = True
        self._send_head(502, "Bad Gateway", [("Content-Type", "text/plain"), ("Content-Length", str(len(body))),
                                             ("Connection", "close")])
        self._send_piece(body)
        self.wfile.flush()

    def _relay(self, resp, limit, hold, rst):
        if self._no_etags and self.command != "HEAD":
            # The whole answer, its <Etag> elements left out (a listing that gives no blob's ETag), its length told.
            body = re.sub(rb"<Etag>[^<]*</Etag>", b"", resp.read())
            headers = [(k, v) for k, v in resp.getheaders()
                       if k.lower() not in HOP_BY_HOP and k.lower() not in ("transfer-encoding", "content-length")]
            headers.append(("Content-Length", str(len(body))))
            if self.close_connection:
                headers.append(("Connection", "close"))
            self._send_head(resp.status, resp.reason, headers)
            self._send_piece(body)
            self.wfile.flush()
            return
        headers = []
        upstream_chunked = False
        has_length = False
        for k, v in resp.getheaders():
            kl = k.lower()
            if kl == "transfer-encoding":
                upstream_chunked = "chunked" in v.lower()
                continue
            if kl in HOP_BY_HOP:
                continue
            if kl == "content-length":
                has_length = True
            headers.append((k, v))
        bodyless = self.command == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
        rechunk = not bodyless and not has_length
        if rechunk and upstream_chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        elif rechunk:
            self.close_connection = True  # body ends when the connection closes
        if self.close_connection:
            headers.append(("Connection", "close"))
        self._send_head(resp.status, resp.reason, headers)
        if bodyless:
            self.wfile.flush()
            return
        chunked_out = rechunk and upstream_chunked
        held = None  # with extra=N, each piece is sent when the next is read: the last one takes the extra bytes
        while True:
            want = CHUNK if limit is None else min(CHUNK, limit - self._sent)
            if want <= 0:
                break
            piece = resp.read(want)
            if not piece:
                break
            if self._extra and not chunked_out:
                if held is not None:
                    self._send_piece(held)
                held = piece
                continue
            if chunked_out:
                self.wfile.write(b"%x\r\n" % len(piece))
            self._send_piece(piece)
            if chunked_out:
                self.wfile.write(b"\r\n")
        if held is not None:
            self._send_piece(held, last=True)
        if limit is not None:
            self._cut(hold, rst)
            return
        if chunked_out:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self, hold, rst):
        self.wfile.flush()
        if hold:
            time.sleep(hold)
        self._drop(rst=rst)

    def _serve_file(self, limit, hold, rst, early=0, serve=None, longer=0, serve_range=False, no_content_range=False):
        if self._expects_100 or self._body_length():
            self._read_body(discard=True, send_continue=True)
        if self.command not in ("GET", "HEAD"):
            return self._simple(405, "Method Not Allowed", [("Allow", "GET, HEAD")])
        rel = serve or urllib.parse.unquote(self._path).lstrip("/")
        full = os.path.realpath(os.path.join(self.server.dir, rel))
        if not (full == self.server.dir or full.startswith(self.server.dir + os.sep)) or not os.path.isfile(full):
            return self._simple(404, "Not Found", [])
        size = os.path.getsize(full)
        start, end = 0, size - 1
        status, reason = 200, "OK"
        extra = []
        if self.server.etag_length:
            # A version tag of the file's bytes, padded to the length asked for; If-Match must name it.
            with open(full, "rb") as f:
                digest = hashlib.md5(f.read()).hexdigest()
            etag = '"' + digest.ljust(self.server.etag_length - 2, "e") + '"'
            if self.server.weak_etag:
                etag = "W/" + etag
            extra.append(("ETag", etag))
            want = None if self._no_if_match else self.headers.get("If-Match")
            # If-Match compares strongly (RFC 9110 13.1.1): a weak ETag never matches.
            if want is not None and (want.strip() != etag or self.server.weak_etag):
                return self._simple(412, "Precondition Failed", [])
        rng = self.headers.get("Range")
        if rng and (not serve or serve_range):
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
                else:
                    start = max(0, size - int(m.group(2)))
                if start >= size or start > end or self._bare416 in ("range", "tworanges", "zero"):
                    # The file's validators too, as a server that describes the object in any answer does.
                    validators = extra
                    if not self.server.no_last_modified:
                        validators = validators + [
                            ("Last-Modified", self.date_time_string(int(os.path.getmtime(full))))]
                    if self._bare416 == "novalidators":
                        validators = []
                    content_range = [] if self._bare416 in ("bare", "novalidators") else [
                        ("Content-Range", f"bytes */{size}")]
                    if self._bare416 == "zero":
                        content_range = [("Content-Range", "bytes */0")]
                    if self._bare416 == "tworanges":
                        content_range.append(("Content-Range", "bytes */0"))
                    return self._simple(416, "Range Not Satisfiable", content_range + validators)
                start = max(0, start - early)
                status, reason = 206, "Partial Content"
                if no_content_range:
                    pass
                elif longer:
                    extra.append(("Content-Range", f"bytes {start}-{end + longer}/*"))
                else:
                    extra.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        if status != 206:
            longer = 0
        ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        headers = [
            ("Content-Type", ctype),
            ("Content-Length", str(end - start + 1 + longer)),
            ("Accept-Ranges", "bytes"),
            ("Date", self.date_time_string()),
        ] + extra
        if not self.server.no_last_modified:
            headers.append(("Last-Modified", self.date_time_string(int(os.path.getmtime(full)))))
        if self.close_connection:
            headers.append(("Connection", "close"))
        self._send_head(status, reason, headers)
        if self.command == "GET":
            with open(full, "rb") as f:
                f.seek(start)
                left = end - start + 1
                while left > 0:
                    want = min(CHUNK, left)
                    if limit is not None:
                        want = min(want, limit - self._sent)
                        if want <= 0:
                            break
                    piece = f.read(want)
                    if not piece:
                        break
                    left -= len(piece)
                    if left == 0 and longer:
                        piece += b"x" * longer
                    self._send_piece(piece, last=left == 0)
        if limit is not None:
            self._cut(hold, rst)
            return
        if self._chunked and self.command == "GET":
            trailer = "%s: %s\r\n" % self._trailer if self._trailer else ""
            self.wfile.write(b"0\r\n" + trailer.encode("latin-1") + b"\r\n")
        self.wfile.flush()

    def _simple(self, status, reason, headers):
        body = f"{status} {reason}\n".encode()
        self._send_head(status, reason, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))] + headers)
        if self.command != "HEAD":
            self._send_piece(body)
        self.wfile.flush()


def main():
    ap = argparse.ArgumentParser(description="Loopback HTTP fault-injecting proxy (see the file's header).")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--upstream", help="where to forward to, e.g. http://127.0.0.1:4568 (its path is ignored)")
    src.add_argument("--dir", help="serve the files of this folder instead")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    ap.add_argument("--log", help="request log file (appended)")
    ap.add_argument("--log-headers", action="store_true", help="log the names of each request's headers")
    ap.add_argument("--tls-cert", help="serve https with this certificate (PEM; needs --tls-key)")
    ap.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")
    ap.add_argument("--etag", type=int, default=0, metavar="N",
                    help="--dir: send an ETag of N characters (at least 34) and answer 412 to an If-Match not it")
    ap.add_argument("--weak-etag", action="store_true",
                    help="with --etag: send it weak (W/...), which no If-Match matches (412)")
    ap.add_argument("--no-last-modified", action="store_true",
                    help="--dir: send no Last-Modified (with no --etag, an answer names no version)")
    ap.add_argument("--max-seconds", type=float, default=600, help="exit after this long (default 600)")
    ap.add_argument("--upstream-timeout", type=float, default=120, help="socket timeout towards the upstream")
    ap.add_argument("--fault", action="append", default=[], type=lambda s: ("g", s), dest="rules", metavar="RULE",
                    help="a fault rule, requests counted over all requests (or those matching its @GLOB)")
    ap.add_argument("--fault-per-path", action="append", type=lambda s: ("p", s), dest="rules", metavar="RULE",
                    help="a fault rule, requests counted per path")
    ap.add_argument("--script", action="append", type=lambda s: ("s", s), dest="rules", metavar="TEXT",
                    help="rules separated by ';' or newlines ('per-path RULE' counts per path)")
    ap.add_argument("--script-file", action="append", type=lambda s: ("f", s), dest="rules", metavar="FILE",
                    help="a file of rules, as for --script")
    a = ap.parse_args()

    rules = []
    try:
        for kind, text in a.rules:
            if kind == "g":
                rules.append(Rule(text, False))
            elif kind == "p":
                rules.append(Rule(text, True))
            elif kind == "s":
                rules.extend(parse_script(text))
            else:
                with open(text) as f:
                    rules.extend(parse_script(f.read()))
    except (ScriptError, OSError) as e:
        ap.error(str(e))

    if bool(a.tls_cert) != bool(a.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    server = Server(("127.0.0.1", a.port), Handler)
    server.tls = bool(a.tls_cert)
    if server.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            ctx.load_cert_chain(a.tls_cert, a.tls_key)
        except (OSError, ssl.SSLError) as e:
            ap.error(f"--tls-cert {a.tls_cert}: {e}")
        # The handshake happens on the request's own thread (see Handler.setup), not in the accept loop.
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    server.log_headers = a.log_headers
    server.state = State(rules, a.log)
    server.upstream_timeout = a.upstream_timeout
    server.dir = None
    server.upstream = None
    if a.etag and (a.etag < 34 or not a.dir):
        ap.error("--etag takes a length of 34 or more, with --dir")
    if a.weak_etag and not a.etag:
        ap.error("--weak-etag needs --etag")
    server.etag_length = a.etag
    server.weak_etag = a.weak_etag
    server.no_last_modified = a.no_last_modified
    if not a.dir and any(r.kind == "serve" for r in rules):
        ap.error("serve=NAME needs --dir")
    for kind in ("bare416", "range416"):
        if not a.dir and any(r.kind == kind for r in rules):
            ap.error(f"{kind} needs --dir")
    if a.dir:
        server.dir = os.path.realpath(a.dir)
        if not os.path.isdir(server.dir):
            ap.error(f"--dir {a.dir}: not a folder")
    else:
        server.upstream = urllib.parse.urlsplit(a.upstream)
        if server.upstream.scheme not in ("http", "https") or not server.upstream.hostname:
            ap.error(f"--upstream {a.upstream}: want http://HOST:PORT")

    def announce(port):
        server.state.note(f"listening on 127.0.0.1:{port} rules={[('per-path ' if r.per_path else '') + r.text for r in rules]}")
        print(f"faultproxy listening on {'https' if server.tls else 'http'}://127.0.0.1:{port}", flush=True)

    why = serve(server, a.max_seconds, announce)
    if why is None:
        why = f"max-seconds {a.max_seconds:g} reached"
        print(f"faultproxy: {why}, exiting", file=sys.stderr, flush=True)
    server.state.note(f"exiting: {why}")
    if server.state.log:
        server.state.log.flush()
    # Requests still in progress (a stall, a long body) are cut off with the process.
    os._exit(0)


if __name__ == "__main__":
    main()
