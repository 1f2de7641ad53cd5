"""A local stand-in for the two endpoints the online key check calls.

It answers like the real services do for a key check: Gemini's `GET /v1beta/models` (200
with a model list, or 400 `API_KEY_INVALID` for a key it does not know) and Cartesia's
`GET /voices` (200, or 401). It records every request's path and headers, so tests can
prove which key was sent and how. HTTP/1.0, one request per connection: nothing lingers
after `stop()`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class KeyCheckServer:
    gemini_keys: set[str] = field(default_factory=set)
    cartesia_keys: set[str] = field(default_factory=set)
    status_override: int | None = None
    requests: list[Seen] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(Seen(self.path, {k.lower(): v for k, v in
                                                       self.headers.items()}))
                status, body = owner._answer(self.path, self.headers)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="keycheck-server", daemon=True)
        self._thread.start()
        return self

    def _answer(self, path: str, headers: object) -> tuple[int, dict[str, object]]:
        get = headers.get  # type: ignore[attr-defined]
        if self.status_override is not None:
            return self.status_override, {"error": {"code": self.status_override}}
        if path.startswith("/v1beta/models"):
            if get("x-goog-api-key") in self.gemini_keys:
                return 200, {"models": [{"name": "models/gemini-flash-latest"}]}
            return 400, {"error": {"code": 400, "message": "API key not valid. Please pass a "
                                  "valid API key.", "status": "INVALID_ARGUMENT",
                                  "details": [{"reason": "API_KEY_INVALID"}]}}
        if path.startswith("/voices"):
            auth = str(get("authorization") or "")
            if auth.startswith("Bearer ") and auth[len("Bearer "):] in self.cartesia_keys:
                return 200, {"data": [{"id": "voice-1"}], "has_more": False}
            return 401, {"error": "Invalid API key"}
        return 404, {"error": "not found"}

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
