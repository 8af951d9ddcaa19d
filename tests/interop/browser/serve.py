#!/usr/bin/env python3
"""Tiny HTTP server for tests/interop/browser_turn_test.sh (standard library only).

Serves the files of this directory (the test page) on 127.0.0.1:PORT and stores the body of each
POST /result in RESULT_FILE (written to a temporary name, then renamed, so a reader never sees a
half-written file). Usage: serve.py PORT RESULT_FILE
"""
import http.server
import os
import sys

PORT = int(sys.argv[1])
RESULT_FILE = sys.argv[2]
ROOT = os.path.dirname(os.path.abspath(__file__))


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=ROOT, **kwargs)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_POST(self):
        if self.path != "/result":
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        tmp = RESULT_FILE + ".tmp"
        with open(tmp, "wb") as f:
            f.write(body)
        os.replace(tmp, RESULT_FILE)
        self.send_response(204)
        self.end_headers()

    def log_message(self, fmt, *args):
        sys.stderr.write("serve: " + (fmt % args) + "\n")


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
