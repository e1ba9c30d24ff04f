#!/usr/bin/env python3
"""An HTTP proxy for tests only, which reaches one server whatever it is asked.

    mock_proxy.py PORT LOG UPSTREAM_PORT [MODE]

Listens on 127.0.0.1:PORT and writes each request line it gets to LOG. A
request in absolute form (GET http://HOST/PATH) is sent on to
127.0.0.1:UPSTREAM_PORT as GET /PATH, with HOST kept in the Host header,
and the answer is passed back: HOST itself is never looked up, so a test
can name a registry by a name no resolver knows. CONNECT (a tunnel for
HTTPS) is refused with 403. MODE, when given, has the proxy answer every
request itself instead:
  login        407 Proxy Authentication Required (Basic), whatever login
               the request carries
  unavailable  503 (Retry-After: 0) to a request to relay, 502 to CONNECT
"""
import http.client
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PORT, LOG, UPSTREAM = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
MODE = sys.argv[4] if len(sys.argv) > 4 else "relay"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection",
              "transfer-encoding", "te", "trailer", "upgrade"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def note(self):
        with open(LOG, "a") as log:
            log.write(self.requestline + "\n")

    def answer(self, status, headers=()):
        body = b"the proxy's own answer\n"
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    # The proxy's own answer to |tunnel| (CONNECT) or to a request to
    # relay, when MODE says so; False when it relays.
    def answered(self, tunnel):
        if MODE == "login":
            self.answer(407, [("Proxy-Authenticate", 'Basic realm="mock proxy"')])
        elif MODE == "unavailable":
            self.answer(502 if tunnel else 503, [] if tunnel else [("Retry-After", "0")])
        else:
            return False
        return True

    def do_CONNECT(self):
        self.note()
        if not self.answered(True):
            self.answer(403)

    def relay(self, method):
        self.note()
        if self.answered(False):
            return
        target = urlsplit(self.path)
        path = target.path + ("?" + target.query if target.query else "")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=30)
        upstream.request(method, path, headers=headers)
        answer = upstream.getresponse()
        body = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)
        upstream.close()

    def do_GET(self):
        self.relay("GET")

    def do_HEAD(self):
        self.relay("HEAD")

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
