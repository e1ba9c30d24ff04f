#!/usr/bin/env python3
"""An OAuth2 token service that takes only refresh tokens, for tests only.

    mock_oauth_token.py PORT REFRESH ACCESS SERVICE SCOPE LOG [REPLY_KEY]

Answers POST /token whose application/x-www-form-urlencoded body holds
exactly grant_type=refresh_token, refresh_token=REFRESH, service=SERVICE,
scope=SCOPE and client_id=strata (the OAuth2 form of the distribution token
spec) with {"REPLY_KEY": ACCESS} (REPLY_KEY is access_token unless given;
"-html" answers an HTML page instead, as a misconfigured proxy might).
Any other refresh token gets 401 invalid_grant, with an error_description
that quotes the token sent (as a careless service might); any other form, 400
invalid_request; a GET (the spec's Basic form), 405. Writes one line per
request to LOG, naming what it answered but never the tokens sent. Listens
on 127.0.0.1 only.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

PORT, REFRESH, ACCESS, SERVICE, SCOPE, LOG = sys.argv[1:7]
REPLY_KEY = sys.argv[7] if len(sys.argv) > 7 else "access_token"
EXPECTED = {"grant_type": "refresh_token", "service": SERVICE, "scope": SCOPE,
            "client_id": "strata"}


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, reply, what):
        with open(LOG, "a") as log:
            log.write(f"{self.command} {self.path} {status} {what}\n")
        body = json.dumps(reply).encode()
        if status == 200 and REPLY_KEY == "-html":
            body = b"<html><body>Sign in</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(405, {"error": "invalid_request"}, "not a POST")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        text = self.rfile.read(length).decode()
        form = {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()
                if len(values) == 1}
        fields = {key: value for key, value in form.items() if key != "refresh_token"}
        if self.path != "/token":
            self.answer(404, {"error": "not_found"}, "not the token path")
        elif self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            self.answer(400, {"error": "invalid_request"},
                        "content type " + str(self.headers.get("Content-Type")))
        elif fields != EXPECTED or "refresh_token" not in form:
            self.answer(400, {"error": "invalid_request"}, "form " + json.dumps(fields))
        elif form["refresh_token"] != REFRESH:
            self.answer(401, {"error": "invalid_grant",
                              "error_description": "refresh token " + form["refresh_token"]},
                        "wrong refresh token")
        else:
            self.answer(200, {REPLY_KEY: ACCESS, "expires_in": 300}, "access token")

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(PORT)), Handler).serve_forever()
