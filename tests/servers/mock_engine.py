#!/usr/bin/env python3
"""An Engine API (Docker's or Podman's) holding one image, for tests only.

    mock_engine.py ADDRESS NAME ARCHIVE MODE

ADDRESS is unix:PATH or tcp:PORT (127.0.0.1). The image NAME exports as
the bytes of ARCHIVE (a `docker save` tar of either layout). /_ping answers
as dockerd 20.10 does: "OK" with its API version in an Api-Version header.
MODE says how it behaves:
  plain        as an Engine with API 1.41 (Engine 20.10)
  interrupt    sends half of the export and closes the connection
  platform     as an Engine with API 1.48 (Engine 28), whose export must be
               asked for linux/amd64 through its platform query
"""
import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, unquote, urlparse

ADDRESS, NAME, ARCHIVE, MODE = sys.argv[1:5]
API_VERSION = "1.48" if MODE == "platform" else "1.41"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body, length=None, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        path = unquote(url.path)
        if path == "/_ping":
            self.reply(200, b"OK", headers=[("Api-Version", API_VERSION),
                                            ("Docker-Experimental", "false"),
                                            ("Ostype", "linux")])
        elif path.startswith("/images/") and path.endswith("/json"):
            found = path[len("/images/"):-len("/json")] == NAME
            self.reply(200 if found else 404,
                       b"{}" if found else b'{"message":"No such image"}')
        elif path == "/images/" + NAME + "/get":
            platform = parse_qs(url.query).get("platform", ["{}"])[0]
            if MODE == "platform" and json.loads(platform) != {"os": "linux",
                                                               "architecture": "amd64"}:
                self.reply(400, json.dumps({"message": "wrong platform " + platform}).encode())
                return
            data = open(ARCHIVE, "rb").read()
            if MODE == "interrupt":
                self.reply(200, data[: len(data) // 2], length=len(data))
                self.close_connection = True
            else:
                self.reply(200, data)
        else:
            self.reply(404, b'{"message":"page not found"}')

    def address_string(self):
        return "client"

    def log_message(self, *args):
        pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        request, _ = super().get_request()
        return request, ("client", 0)


if ADDRESS.startswith("unix:"):
    path = ADDRESS[5:]
    if os.path.exists(path):
        os.unlink(path)
    UnixServer(path, Handler).serve_forever()
else:
    HTTPServer(("127.0.0.1", int(ADDRESS[4:])), Handler).serve_forever()
