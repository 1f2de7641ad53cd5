"""Fake Gemini and Cartesia servers for tests: the real SDKs talk to them over 127.0.0.1.

See :mod:`tests.fakes.gemini` and :mod:`tests.fakes.cartesia` for the scripting API and
:mod:`tests.fakes.audio` for recognising the fake voice's tones.
"""

from .audio import DEFAULT_FREQUENCIES, decode_pcm, dominant_frequency, rms
from .cartesia import MAYA_VOICE_ID, CartesiaFailure, FakeCartesia, TTSContext, WSConnection
from .gemini import (
    DEFAULT_REPLY,
    Call,
    Disconnect,
    ErrorReply,
    FakeGemini,
    Gate,
    GeminiRequest,
    Reply,
    StreamError,
    Text,
)

__all__ = [
    "DEFAULT_FREQUENCIES",
    "DEFAULT_REPLY",
    "MAYA_VOICE_ID",
    "Call",
    "CartesiaFailure",
    "Disconnect",
    "ErrorReply",
    "FakeCartesia",
    "FakeGemini",
    "Gate",
    "GeminiRequest",
    "Reply",
    "StreamError",
    "TTSContext",
    "Text",
    "WSConnection",
    "decode_pcm",
    "dominant_frequency",
    "rms",
]
