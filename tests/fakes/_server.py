"""Threaded HTTP plumbing shared by the fake Gemini and Cartesia servers.

The fakes live inside the test process so a test can script them and inspect what they
received without any IPC. That makes clean shutdown the hard part: the SDKs keep
HTTP keep-alive connections in their pools, and a handler thread blocked on such a socket
would outlive the test (a leaked thread) or leave a socket to the garbage collector (a
ResourceWarning, which ``filterwarnings = error`` turns into a failure). So the server here
tracks every connection socket and handler thread it creates, and ``stop()`` shuts the
sockets down and joins the threads.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

__all__ = ["FakeHTTPServer", "FakeRequestHandler", "FakeServer", "socket_closed_by_peer"]

#: How often waits inside the fakes re-check "was I stopped / did the client go away".
POLL_INTERVAL = 0.01


def socket_closed_by_peer(sock: socket.socket) -> bool:
    """Tell whether the client has closed its end, without consuming any data.

    A streaming fake that is holding a response open (a gate) uses this to notice that the
    app cancelled the request, which is the behaviour several app tests assert.
    """
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


class FakeHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that can be stopped without leaking threads or sockets."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    #: 20 tabs connect at once in the load tests; the default backlog of 5 would make
    #: the kernel drop SYNs and the client retry a second later.
    request_queue_size = 128

    def __init__(
        self,
        handler_class: type[BaseHTTPRequestHandler],
        owner: FakeServer,
        connection_handler: Callable[[socket.socket, Any], bool] | None = None,
    ) -> None:
        super().__init__(("127.0.0.1", 0), handler_class)
        self.owner = owner
        #: Gets the raw socket first; returns True if it took the connection over (WebSocket).
        self.connection_handler = connection_handler
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._conn_threads: set[threading.Thread] = set()
        self._conn_sockets: set[socket.socket] = set()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._run_connection,
            args=(request, client_address),
            name=f"{type(self.owner).__name__}-conn",
            daemon=True,
        )
        with self._lock:
            # A thread stays listed until it has ended (not just left its handler), so
            # stop() joins every one; finished ones are pruned here.
            self._conn_threads = {t for t in self._conn_threads if t.is_alive()}
            self._conn_threads.add(thread)
            self._conn_sockets.add(request)
        thread.start()

    def _run_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            taken = self.connection_handler is not None and self.connection_handler(
                request, client_address
            )
            if not taken:
                self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            with self._lock:
                self._conn_sockets.discard(request)
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Record unexpected handler errors instead of printing them to stderr.

        A client hanging up mid-response is normal (the app cancels streams), so
        connection errors are ignored; anything else is a bug in the fake or a malformed
        request, and goes to ``owner.problems`` where a test can see it.
        """
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or self.stopping.is_set():
            return
        self.owner.add_problem("handler error:\n" + traceback.format_exc())

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, cut every open connection and wait for its thread."""
        self.stopping.set()
        self.shutdown()
        self.server_close()
        with self._lock:
            sockets = list(self._conn_sockets)
            threads = list(self._conn_threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        leftovers = [t.name for t in threads if t.is_alive()]
        if leftovers:
            self.owner.add_problem(f"threads still running after stop(): {leftovers}")


class FakeRequestHandler(BaseHTTPRequestHandler):
    """Base handler: HTTP/1.1 keep-alive, JSON helpers, chunked streaming, quiet logs."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: FakeHTTPServer
    server_version = "fake"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; the fakes record requests in memory instead."""

    # -- request helpers ------------------------------------------------------------

    @property
    def url_path(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))

    def header_dict(self) -> dict[str, str]:
        """Headers with lower-cased names (HTTP header names are case-insensitive)."""
        return {name.lower(): value for name, value in self.headers.items()}

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # -- response helpers -----------------------------------------------------------

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, status: int, content_type: str) -> None:
        """Begin a streamed (chunked transfer encoding) response, as the real APIs do."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def drop_connection(self) -> None:
        """Cut the TCP connection mid-response, like a network failure would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def client_gone(self) -> bool:
        return socket_closed_by_peer(self.connection)


class FakeServer:
    """Lifecycle shared by the fakes: start()/stop(), context manager, base_url, problems."""

    handler_class: ClassVar[type[FakeRequestHandler]]

    def __init__(self) -> None:
        self._server: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._problems: list[str] = []

    # -- lifecycle --------------------------------------------------------------------

    def _connection_handler(self) -> Callable[[socket.socket, Any], bool] | None:
        return None

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        server = FakeHTTPServer(self.handler_class, self, self._connection_handler())
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"{type(self).__name__}-accept",
            daemon=True,
        )
        self._server = server
        self._thread = thread
        thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._before_stop()
        server.stop()
        thread.join(5.0)
        self._server = None
        self._thread = None
        with self._changed:
            self._changed.notify_all()

    def _before_stop(self) -> None:
        """Hook: wake anything the fake itself is waiting on."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def stopping(self) -> bool:
        server = self._server
        return server is None or server.stopping.is_set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — what the SDKs take as ``base_url``."""
        return f"http://127.0.0.1:{self.port}"

    # -- observation ------------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """Things the fake noticed that a test probably did not intend (gate timeouts,
        handler crashes, malformed requests). A fixture can assert this stays empty."""
        with self._lock:
            return list(self._problems)

    def add_problem(self, text: str) -> None:
        with self._changed:
            self._problems.append(text)
            self._changed.notify_all()

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Block until ``predicate()`` holds (re-checked whenever the fake records
        something), or raise TimeoutError. Tests use this instead of sleeping."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout} s")
                self._changed.wait(min(remaining, 0.1))
