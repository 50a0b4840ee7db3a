"""A tiny stdlib web app for the Lambda chain tests: binary bodies, cookies, slow and dying routes.

Run as ``python tiny_app.py``; it listens on 127.0.0.1:$PORT.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from urllib.parse import parse_qs, urlsplit

BINARY = bytes(range(256))
COOKIES = ("a=1; Path=/", "b=2; HttpOnly", "c=3; Max-Age=60; SameSite=Lax")
CHUNKS = (b"one\n", b"two\n", b"three\n")
CHUNK_PAUSE = 0.3


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _reply(
        self, status: int, body: bytes, content_type: str, extra: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in CHUNKS:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
            time.sleep(CHUNK_PAUSE)
        self.wfile.write(b"0\r\n\r\n")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self._reply(200, b"ok", "text/plain")
        elif url.path == "/binary":
            self._reply(200, BINARY, "application/octet-stream")
        elif url.path == "/cookies":
            self._reply(
                200,
                b"three cookies",
                "text/plain",
                tuple(("Set-Cookie", cookie) for cookie in COOKIES),
            )
        elif url.path == "/sleep":
            time.sleep(float(parse_qs(url.query).get("s", ["1"])[0]))
            self._reply(200, b"slept", "text/plain")
        elif url.path == "/exit":
            os._exit(3)
        elif url.path == "/stream":
            self._stream()
        elif url.path == "/headers":
            headers = {name.lower(): value for name, value in self.headers.items()}
            self._reply(200, json.dumps(headers).encode(), "application/json")
        else:
            self._reply(404, b'{"error":"not found"}', "application/json")

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"tiny_app: {format % args}\n")


def _stop(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    sys.exit(0)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8000"))), Handler)
    server.daemon_threads = True
    sys.stderr.write(f"tiny_app: listening on 127.0.0.1:{server.server_address[1]}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
