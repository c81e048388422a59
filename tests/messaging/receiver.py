"""A webhook receiver on a free loopback port, run by the test itself: it records every request, verifies its
signature with the `standardwebhooks` package when it arrives, and answers as the test plans (a status code, or a
hang longer than the sender's timeout)."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict
    body: bytes
    payload: dict | None  # the verified body; None when the signature did not verify
    error: str = ""

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    secret: str = ""
    answers: list = field(default_factory=list)  # each: a status code, or ("hang", seconds); then 200
    received: list[Received] = field(default_factory=list)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {key.lower(): value for key, value in self.headers.items()}
                try:
                    payload, error = Webhook(receiver.secret).verify(body, headers), ""
                except (WebhookVerificationError, ValueError) as exc:
                    payload, error = None, str(exc)
                receiver.received.append(Received(headers, body, payload, error))
                answer = receiver.answers.pop(0) if receiver.answers else 200
                if isinstance(answer, tuple):
                    time.sleep(answer[1])
                    answer = 200
                try:
                    self.send_response(answer)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks?clinic=1"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
