#!/usr/bin/env python3
"""An Engine API (Docker's or Podman's) holding one image, for tests only.

    mock_engine.py ADDRESS NAME ARCHIVE MODE

ADDRESS is unix:PATH or tcp:PORT (127.0.0.1). The image NAME exports as
the bytes of ARCHIVE (a `docker save` tar of either layout). MODE `plain`
behaves; `interrupt` sends half of the export and closes the connection.
"""
import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import unquote, urlparse

ADDRESS, NAME, ARCHIVE, MODE = sys.argv[1:5]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body, length=None):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = unquote(urlparse(self.path).path)
        if path == "/version":
            self.reply(200, json.dumps({"ApiVersion": "1.41"}).encode())
        elif path.startswith("/images/") and path.endswith("/json"):
            found = path[len("/images/"):-len("/json")] == NAME
            self.reply(200 if found else 404,
                       b"{}" if found else b'{"message":"No such image"}')
        elif path == "/images/" + NAME + "/get":
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
