"""The socket-level odds and ends of the Cartesia voice: endpoints, Nagle, a quiet close.

Endpoints follow DESIGN.md: ``MAYADESK_CARTESIA_BASE_URL`` overrides the HTTP base (read by
`cartesia_base_url`), ``MAYADESK_CARTESIA_WS_URL`` the WebSocket base, which otherwise is the
HTTP base with http→ws and https→wss — the SDK itself would force ``wss://`` and fail against
a plain-http proxy or test server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from typing import TYPE_CHECKING

from mayadesk.keys.online_check import cartesia_base_url
from mayadesk.voice.errors import VoiceError, VoiceErrorCategory

if TYPE_CHECKING:
    from cartesia import Cartesia
    from cartesia.lib._tts import TTSResourceConnection

log = logging.getLogger("mayadesk.tts")

WS_ENV = "MAYADESK_CARTESIA_WS_URL"
_WS_SCHEMES = {"http": "ws", "https": "wss"}


def cartesia_ws_url(base_url: str | None = None) -> str:
    """The WebSocket base: MAYADESK_CARTESIA_WS_URL, else the HTTP base with http→ws."""
    explicit = os.environ.get(WS_ENV)
    if explicit:
        return explicit.rstrip("/")
    base = (base_url or cartesia_base_url()).rstrip("/")
    scheme, sep, rest = base.partition("://")
    if not sep:
        return f"wss://{base}"
    ws_scheme = _WS_SCHEMES.get(scheme.lower(), scheme)
    return f"{ws_scheme}://{rest}"


def closed_error() -> VoiceError:
    return VoiceError(
        VoiceErrorCategory.CANCELLED,
        "The Cartesia connection was closed.",
        retryable=True,
        voice="cartesia",
    )


def no_delay(conn: TTSResourceConnection) -> None:
    """Small frames (a cancel right after a push) must not wait for Nagle's algorithm."""
    sock = getattr(getattr(conn, "_connection", None), "socket", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)


def close_quietly(conn: TTSResourceConnection | None, client: Cartesia | None) -> None:
    for close in (getattr(conn, "close", None), getattr(client, "close", None)):
        if close is None:
            continue
        try:
            close()
        except Exception as exc:  # closing a dead socket may complain; nothing to do
            log.debug("Closing Cartesia failed quietly (%s)", type(exc).__name__)
