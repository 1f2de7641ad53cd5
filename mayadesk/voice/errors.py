"""What can go wrong with a voice, mapped once at the boundary into our own `VoiceError`.

The speech pipeline does not care whether Cartesia refused a WebSocket handshake with 401,
sent an ``error`` message with status 402, or whether the TCP connection simply vanished: it
needs a category (to decide whether the next reply may try the voice again), `retryable`,
and one sentence the tab can show. The SDK and `websockets` exception types are imported
inside the mapping function, so importing this module costs nothing.

A message never quotes the server's text (it may echo a request) and goes through `redact`
all the same, so a key cannot reach the screen or the log through here.
"""

from __future__ import annotations

from enum import StrEnum

from mayadesk.keys.redaction import redact

__all__ = [
    "VoiceError",
    "VoiceErrorCategory",
    "cartesia_closed",
    "cartesia_status_error",
    "map_cartesia_exception",
]


class VoiceErrorCategory(StrEnum):
    AUTH = "auth"
    QUOTA = "quota"
    NETWORK = "network"
    BAD_RESPONSE = "bad_response"
    CANCELLED = "cancelled"


class VoiceError(Exception):
    """A voice could not speak: category, whether trying it again later can help, a sentence.

    `voice` names the provider ("cartesia", "piper", "system"); `status` is the HTTP-style
    status the service gave, when it gave one. Raised by the providers and carried, as is,
    by the speech events (it is never mutated after construction).
    """

    def __init__(
        self,
        category: VoiceErrorCategory,
        message: str,
        *,
        retryable: bool,
        voice: str,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.category = category
        self.message = redact(message)
        self.retryable = retryable
        self.voice = voice
        self.status = status

    def __repr__(self) -> str:
        return (
            f"VoiceError({self.category.value}, voice={self.voice!r}, "
            f"retryable={self.retryable}, status={self.status})"
        )

    def __str__(self) -> str:
        return self.message


_CARTESIA = "cartesia"


def cartesia_status_error(status: int | None, error_code: str | None = None) -> VoiceError:
    """The error for a refused handshake or an ``error`` message, from its status alone."""
    code = (error_code or "").lower()
    if status in (401, 403) or "api_key" in code:
        return VoiceError(
            VoiceErrorCategory.AUTH,
            "Cartesia rejected the key — update it in Settings → Keys.",
            retryable=False,
            voice=_CARTESIA,
            status=status,
        )
    if status == 402 or "credit" in code or "quota" in code:
        return VoiceError(
            VoiceErrorCategory.QUOTA,
            "Cartesia says the account is out of credits — top it up or remove the key.",
            retryable=False,
            voice=_CARTESIA,
            status=status,
        )
    if status == 429:
        return VoiceError(
            VoiceErrorCategory.QUOTA,
            "Cartesia is busy with too many requests — the next reply will try it again.",
            retryable=True,
            voice=_CARTESIA,
            status=status,
        )
    if status is not None and status >= 500:
        return VoiceError(
            VoiceErrorCategory.NETWORK,
            "Cartesia had a problem on its side — the next reply will try it again.",
            retryable=True,
            voice=_CARTESIA,
            status=status,
        )
    return VoiceError(
        VoiceErrorCategory.BAD_RESPONSE,
        "Cartesia refused the request — check the voice and model in Settings.",
        retryable=False,
        voice=_CARTESIA,
        status=status,
    )


def cartesia_closed(detail: str = "The connection to Cartesia was lost") -> VoiceError:
    """The connection went away (dropped, timed out, stalled): worth trying next reply."""
    return VoiceError(
        VoiceErrorCategory.NETWORK,
        f"{detail} — the next reply will try it again.",
        retryable=True,
        voice=_CARTESIA,
    )


def map_cartesia_exception(exc: BaseException) -> VoiceError:
    """Any exception from connecting to or talking with Cartesia, as a `VoiceError`."""
    if isinstance(exc, VoiceError):
        return exc
    from cartesia import CartesiaError
    from websockets.exceptions import (
        ConnectionClosed,
        InvalidHandshake,
        InvalidStatus,
        InvalidURI,
    )

    if isinstance(exc, InvalidStatus):
        return cartesia_status_error(exc.response.status_code)
    if isinstance(exc, ConnectionClosed | TimeoutError | OSError):
        return cartesia_closed(
            "The connection to Cartesia was lost"
            if isinstance(exc, ConnectionClosed)
            else "Cartesia could not be reached"
        )
    if isinstance(exc, InvalidURI):
        return VoiceError(
            VoiceErrorCategory.BAD_RESPONSE,
            "The Cartesia address is not a valid WebSocket URL — check MAYADESK_CARTESIA_WS_URL.",
            retryable=False,
            voice=_CARTESIA,
        )
    if isinstance(exc, InvalidHandshake | ValueError | CartesiaError):
        return VoiceError(
            VoiceErrorCategory.BAD_RESPONSE,
            "Cartesia answered in a way MayaDesk does not understand.",
            retryable=False,
            voice=_CARTESIA,
        )
    return VoiceError(
        VoiceErrorCategory.BAD_RESPONSE,
        f"Cartesia failed unexpectedly ({type(exc).__name__}).",
        retryable=False,
        voice=_CARTESIA,
    )
