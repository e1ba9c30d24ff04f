#!/usr/bin/env python3
"""A token service for the registry's `auth: token` mode, for tests only.

    token_service.py PORT KEY.pem CERT.pem ISSUER [USER:PASSWORD]

Answers GET /token?service=S&scope=repository:NAME:ACTIONS with a JWT the
registry accepts: RS256, signed with KEY.pem by `openssl dgst`, the signing
certificate in the x5c header (the registry's rootcertbundle holds the same
certificate). With USER:PASSWORD, requests must carry that Basic login;
without, everyone gets a token. Listens on 127.0.0.1 only.
"""
import base64
import json
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse

PORT, KEY, CERT, ISSUER = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
LOGIN = sys.argv[5] if len(sys.argv) > 5 else None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der():
    return subprocess.run(["openssl", "x509", "-in", CERT, "-outform", "DER"],
                          check=True, capture_output=True).stdout


def sign(header, claims):
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode()))
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY],
                               input=signing_input.encode(), check=True,
                               capture_output=True).stdout
    return signing_input + "." + b64url(signature)


def access(scopes):
    granted = []
    for scope in scopes:
        parts = scope.split(":")
        if len(parts) >= 3:
            granted.append({"type": parts[0], "name": ":".join(parts[1:-1]),
                            "actions": parts[-1].split(",")})
    return granted


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        if LOGIN is not None:
            expected = "Basic " + base64.b64encode(LOGIN.encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_error(401)
                return
        query = parse_qs(url.query)
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": LOGIN.split(":")[0] if LOGIN else "",
                  "aud": query.get("service", [""])[0], "exp": now + 600,
                  "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()),
                  "access": access(query.get("scope", []))}
        header = {"typ": "JWT", "alg": "RS256",
                  "x5c": [base64.b64encode(cert_der()).decode()]}
        body = json.dumps({"token": sign(header, claims), "expires_in": 600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
