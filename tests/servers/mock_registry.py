#!/usr/bin/env python3
"""A registry that misbehaves on purpose, for tests only.

    mock_registry.py PORT LAYOUT LOG MODE [REALM ACCESS]

Serves the one image of the OCI layout LAYOUT through the registry API v2
(any repository, any tag) on 127.0.0.1:PORT, writes each request path to
LOG (followed by " Range: ..." when the request has one; and the client
address of each connection that sent one to LOG.connections), and
misbehaves as MODE says:
  plain        behaves
  redirect     sends every blob to /storage/DIGEST with a 307
  redirect-nowhere  sends every blob with a 307 to a signed URL on a port
               of 127.0.0.1 nothing listens on
  rate-limit   answers 429 (Retry-After: 0) to every manifest or blob
  rate-limit-date  the same with Retry-After as an HTTP date, one past
  flaky        answers 429, then 503, to each manifest or blob, then behaves
  interrupt    sends half of each layer blob, then closes the connection
  stall        sends half of each layer blob, then nothing more for ten
               minutes, the connection kept open
  again-corrupt sends each layer blob whole the first time it is asked
               for; later, with a byte flipped three quarters in (as a
               blob replaced between two reads of it)
  again-stall  sends each layer blob whole the first time; later, as stall
  stall-early  sends the headers and the first 10 bytes of the last layer's
               blob, then nothing more for ten minutes; honours Range, and a
               range from byte 10 on gets its headers and nothing
  stall-early-whole  the same, but ignores Range: each request of that blob
               gets the whole blob's headers and its first 10 bytes
  stall-once   the last layer's blob stalls after 10 bytes the first time
               it is asked for; later requests of it honour Range
  stall-manifest  sends the headers and the first 10 bytes of each
               manifest, then nothing more for ten minutes
  cut-manifest  sends the headers and the first 100 bytes of each
               manifest, then closes the connection
  cut-manifest-once  the same the first time each manifest is asked for;
               later, the whole manifest
  longer       sends the last layer's blob with 5000 bytes more than its
               descriptor says, its Content-Length saying so
  shorter      sends the last layer's blob without its second half, its
               Content-Length saying so
  longer-unsized, shorter-unsized  the same without a Content-Length: the
               connection closes at the end of the body
  bearer       behaves for requests with "Authorization: Bearer ACCESS";
               answers others 401 with a Bearer challenge naming REALM,
               the service "mock-registry" and the repository's pull scope
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, LAYOUT, LOG, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
REALM, ACCESS = (sys.argv[5], sys.argv[6]) if MODE == "bearer" else (None, None)
INDEX = json.load(open(os.path.join(LAYOUT, "index.json")))
TOP = INDEX["manifests"][0]
failures = {}
served = {}  # Times each blob was sent.
LAST_LAYER = None  # The digest of the manifest's last layer, once served.


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


NOWHERE = free_port() if MODE == "redirect-nowhere" else None  # Closed again: refuses.


def blob_path(digest):
    return os.path.join(LAYOUT, "blobs", "sha256", digest.split(":", 1)[1])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def misbehave(self):
        if MODE in ("rate-limit", "rate-limit-date"):
            after = "0" if MODE == "rate-limit" else "Wed, 21 Oct 2015 07:28:00 GMT"
            self.send(429, b'{"errors":[{"code":"TOOMANYREQUESTS"}]}', [("Retry-After", after)])
            return True
        if MODE == "flaky":
            seen = failures.get(self.path, 0)
            failures[self.path] = seen + 1
            if seen < 2:
                self.send(429 if seen == 0 else 503, b"", [("Retry-After", "0")])
                return True
        return False

    def unauthorized(self, parts):
        if MODE != "bearer" or self.headers.get("Authorization") == "Bearer " + ACCESS:
            return False
        challenge = f'Bearer realm="{REALM}",service="mock-registry"'
        for kind in ("manifests", "blobs"):
            if kind in parts:
                repository = "/".join(parts[2:parts.index(kind)])
                challenge += f',scope="repository:{repository}:pull"'
        self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                  [("WWW-Authenticate", challenge)])
        return True

    def do_GET(self):
        with open(LOG, "a") as log:
            wanted = self.headers.get("Range")
            log.write(self.path + (" Range: " + wanted if wanted else "") + "\n")
        # A handler serves one connection: its first request notes it (a
        # connection that sends none, as a test's wait for the port, is not).
        if not getattr(self, "noted", False):
            self.noted = True
            with open(LOG + ".connections", "a") as log:
                log.write("%s:%d\n" % self.client_address)
        parts = self.path.split("/")
        if self.unauthorized(parts):
            pass
        elif self.path == "/v2/":
            self.send(200, b"{}")
        elif self.path.startswith("/storage/"):
            self.send_blob(parts[-1])
        elif "manifests" in parts and not self.misbehave():
            reference = parts[-1]
            digest = reference if reference.startswith("sha256:") else TOP["digest"]
            note_last_layer(digest)
            media_type = TOP["mediaType"] if digest == TOP["digest"] else \
                "application/vnd.oci.image.manifest.v1+json"
            body = open(blob_path(digest), "rb").read()
            again = served.get(digest, 0) > 0
            served[digest] = served.get(digest, 0) + 1
            if MODE == "cut-manifest" or (MODE == "cut-manifest-once" and not again):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:100])
                self.wfile.flush()
                self.close_connection = True
                return
            if MODE == "stall-manifest":
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.stall_after(body[:10])
                return
            self.send(200, body,
                      [("Content-Type", media_type), ("Docker-Content-Digest", digest)])
        elif "blobs" in parts and not self.misbehave():
            if MODE == "redirect":
                self.send(307, b"", [("Location", "/storage/" + parts[-1])])
            elif MODE == "redirect-nowhere":
                self.send(307, b"", [("Location", "http://127.0.0.1:%d/storage/%s?X-Signature=s3cr3t"
                                      % (NOWHERE, parts[-1]))])
            else:
                self.send_blob(parts[-1])
        elif "manifests" not in parts and "blobs" not in parts:
            self.send(404)

    def send_blob(self, digest):
        data = open(blob_path(digest), "rb").read()
        again = served.get(digest, 0) > 0
        served[digest] = served.get(digest, 0) + 1
        if digest == LAST_LAYER and self.misbehave_last_layer(data, again):
            return
        if MODE == "again-corrupt" and again and len(data) > 4096:
            at = len(data) * 3 // 4
            data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
        if (MODE in ("interrupt", "stall") or (MODE == "again-stall" and again)) \
                and len(data) > 4096:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            if MODE in ("stall", "again-stall"):
                time.sleep(600)
            self.close_connection = True
            return
        self.send(200, data, [("Content-Type", "application/octet-stream")])

    def misbehave_last_layer(self, data, again):
        """The modes that misbehave on the last layer's blob only: True
        when the request was answered here."""
        if MODE in ("longer", "longer-unsized", "shorter", "shorter-unsized"):
            body = data + bytes(5000) if MODE.startswith("longer") else data[: len(data) // 2]
            self.send_response(200)
            if MODE.endswith("unsized"):
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return True
        if MODE not in ("stall-early", "stall-early-whole", "stall-once"):
            return False
        stalls = MODE != "stall-once" or not again
        start = self.range_start() if MODE != "stall-early-whole" else 0
        if start is None or start >= len(data):
            start = 0
        if start > 0:
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        if not stalls:
            self.wfile.write(data[start:])
            return True
        self.stall_after(data[start:10])
        return True

    def stall_after(self, sent):
        """Sends |sent|, then nothing for ten minutes."""
        self.wfile.write(sent)
        self.wfile.flush()
        time.sleep(600)
        self.close_connection = True

    def range_start(self):
        """N of a "Range: bytes=N-" header, or None."""
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and wanted.endswith("-") and wanted[6:-1].isdigit():
            return int(wanted[6:-1])
        return None

    def log_message(self, *args):
        pass


def note_last_layer(digest):
    """Learns the last layer of the manifest |digest| (an image manifest,
    or an index whose first manifest is one)."""
    global LAST_LAYER
    document = json.load(open(blob_path(digest)))
    if document.get("layers"):
        LAST_LAYER = document["layers"][-1]["digest"]
    elif document.get("manifests"):
        note_last_layer(document["manifests"][0]["digest"])


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
