"""A tiny OpenAI-compatible (or any JSON) HTTP server on 127.0.0.1 for client tests."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeServer:
    """Serves canned JSON per path (reply(path, body) -> (status, doc[, headers])); records requests."""

    def __init__(self):
        self.requests = []
        self.reply = lambda path, body: (200, {})
        self.delay_s = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null") if length else None
                outer.requests.append({"path": self.path, "method": self.command, "headers": dict(self.headers),
                                       "body": body})  # fmt: skip
                time.sleep(outer.delay_s)
                status, doc, *headers = outer.reply(self.path, body)  # optionally a dict of extra headers
                data = json.dumps(doc).encode()
                self.send_response(status)
                for name, value in (headers[0] if headers else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
