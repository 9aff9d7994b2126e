#!/usr/bin/env python3
"""A loopback HTTP proxy for the tests: CONNECT tunnels (https_proxy) and absolute-URI requests (http_proxy),
to 127.0.0.1 only: a request for any other host gets 403 and nothing leaves the machine.

usage: connectproxy.py --log FILE [--auth USER:PASSWORD] [--max-seconds N]
  Prints "connectproxy listening on http://127.0.0.1:PORT" once it serves. Each request is one line of the
  log: "METHOD TARGET auth=yes|no STATUS" (auth: whether a Proxy-Authorization header came; its value is never
  logged). With --auth, a request without those Basic credentials gets 407 with Proxy-Authenticate.
Only the standard library."""
import argparse
import base64
import select
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

from loopback import Server, serve

LOCAL = ("127.0.0.1", "localhost", "::1")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args):
        pass

    def _log(self, status):
        auth = "yes" if self.headers.get("Proxy-Authorization") else "no"
        with self.server.lock, open(self.server.log, "a", encoding="utf-8") as f:
            f.write(f"{self.command} {self.path} auth={auth} {status}\n")

    def _refuse(self, status, reason, extra=()):
        self._log(status)
        self.send_response(status, reason)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _authorized(self):
        if not self.server.auth:
            return True
        want = "Basic " + base64.b64encode(self.server.auth.encode()).decode()
        if self.headers.get("Proxy-Authorization") == want:
            return True
        self._refuse(407, "Proxy Authentication Required", [("Proxy-Authenticate", 'Basic realm="test"')])
        return False

    def do_CONNECT(self):
        host, _, port = self.path.rpartition(":")
        if not self._authorized():
            return
        if host.strip("[]") not in LOCAL or not port.isdigit():
            self._refuse(403, "Forbidden")
            return
        try:
            up = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except OSError:
            self._refuse(502, "Bad Gateway")
            return
        self._log(200)
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.close_connection = True
        pipe(self.connection, up)

    def _forward(self):
        if not self._authorized():
            return
        u = urllib.parse.urlsplit(self.path)
        if u.scheme != "http" or u.hostname not in LOCAL:
            self._refuse(403, "Forbidden")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            up = socket.create_connection((u.hostname, u.port or 80), timeout=10)
        except OSError:
            self._refuse(502, "Bad Gateway")
            return
        target = (u.path or "/") + ("?" + u.query if u.query else "")
        head = [f"{self.command} {target} HTTP/1.1", f"Host: {u.netloc}", "Connection: close"]
        for k, v in self.headers.items():
            if k.lower() not in ("host", "connection", "proxy-authorization", "proxy-connection"):
                head.append(f"{k}: {v}")
        up.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        self._log("fwd")
        self.close_connection = True
        while True:
            chunk = up.recv(65536)
            if not chunk:
                break
            self.connection.sendall(chunk)
        up.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _forward


def pipe(a, b):
    """Copies bytes both ways between sockets a and b until one side closes."""
    socks = [a, b]
    try:
        while True:
            ready, _, _ = select.select(socks, [], [], 30)
            if not ready:
                return
            for s in ready:
                data = s.recv(65536)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        return
    finally:
        b.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--auth")
    ap.add_argument("--max-seconds", type=float, default=600)
    a = ap.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    server.log, server.auth, server.lock = a.log, a.auth, threading.Lock()
    open(a.log, "a", encoding="utf-8").close()
    serve(server, a.max_seconds, lambda port: print(f"connectproxy listening on http://127.0.0.1:{port}", flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
