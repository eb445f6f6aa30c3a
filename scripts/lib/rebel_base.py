#!/usr/bin/env python3
"""rebel-base: the demo's backend, a threaded HTTP/1.0 server (standard library only).

    rebel_base.py --message 'Cluster A: Alderaan base' --name a-be1 --port 8080

GET /                 200, body MESSAGE + "\\n"
GET /blob?bytes=N     200, N bytes of the blob pattern (below), for bulk transfers
GET /healthz          200, "ok\\n"
Every answer carries `X-Backend: NAME` (which pod answered) and closes the connection.

The blob pattern, shared with perf/e2e (blob_pattern.h): byte i = (i % 251) ^ ((i // 251) % 256),
which repeats every 251 * 256 = 64256 bytes; a reader can check every byte at its offset.
Prints "ready" on stdout once listening.
"""
import argparse
import http.server
import sys
import urllib.parse

PERIOD = 251 * 256
PATTERN = bytes(((i % 251) ^ ((i // 251) % 256)) for i in range(PERIOD))
# Enough to send any window of up to 4 periods starting anywhere in the first period.
WINDOW = PATTERN * 5
MAX_BLOB = 1 << 40


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 so that a client asking for keep-alive (the island test's long-lived connection) keeps
    # its connection; everyone else gets "Connection: close" as before.
    protocol_version = "HTTP/1.1"
    server_version = "rebel-base"
    sys_version = ""

    def log_message(self, *args):  # quiet: the demo prints its own lines
        pass

    def _head(self, length, ctype="text/plain"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("X-Backend", self.server.name)
        if self.headers.get("Connection", "").lower() != "keep-alive":
            self.send_header("Connection", "close")
        self.end_headers()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/blob":
            q = urllib.parse.parse_qs(url.query)
            try:
                n = int(q.get("bytes", ["0"])[0])
                if not 0 <= n <= MAX_BLOB:
                    raise ValueError
            except ValueError:
                self.send_error(400, "bytes=N, 0 <= N <= 2^40")
                return
            self._head(n, "application/octet-stream")
            off = 0
            view = memoryview(WINDOW)
            while off < n:
                start = off % PERIOD
                chunk = min(n - off, 4 * PERIOD)
                self.wfile.write(view[start:start + chunk])
                off += chunk
            return
        body = (self.server.message + "\n").encode() if url.path != "/healthz" else b"ok\n"
        self._head(len(body))
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--message", required=True)
    ap.add_argument("--name", default="rebel-base", help="sent as X-Backend")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--bind", default="0.0.0.0")
    args = ap.parse_args()
    srv = Server((args.bind, args.port), Handler)
    srv.message, srv.name = args.message, args.name
    print("ready", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
