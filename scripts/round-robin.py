#!/usr/bin/env python3
"""A round-robin load balancer for tests: sends each request to the next backend in turn.

    scripts/round-robin.py PORT COUNTS_FILE HOST:PORT HOST:PORT...

Listens on 127.0.0.1:PORT; after each request, COUNTS_FILE holds how many requests each
backend answered (one number per line), so a caller can check that every replica served.
Standard library only: it stands for the load balancer in front of Rollcall's replicas.
"""
import http.client
import http.server
import sys
import threading

port, counts_file, backends = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
lock = threading.Lock()
served = [0] * len(backends)
turn = [0]
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        with lock:
            i = turn[0] % len(backends)
            turn[0] += 1
        host, _, bport = backends[i].rpartition(":")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        upstream = http.client.HTTPConnection(host, int(bport), timeout=120)
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        self.send_response_only(answer.status, answer.reason)
        for k, v in answer.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        with lock:
            served[i] += 1
            with open(counts_file, "w") as f:
                f.write("".join(f"{n}\n" for n in served))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = forward

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
