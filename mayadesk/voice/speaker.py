"""The speech side of a reply: streamed text in, sentences to the best voice that works.

``begin_reply`` → ``feed(delta)``… → ``end_reply``, from the turn's worker thread; `stop()`
from any thread. Text goes through the sentence splitter and `text_for_speech`, and each
piece to the current voice of the fallback chain: Cartesia → Piper → the system voice →
text only. Why it is shaped like this:

- One speech thread per speaker does all voice work (the Cartesia handshake, Piper's
  CPU-bound synthesis), so neither the UI thread nor the LLM stream ever waits on a voice.
- A voice that fails hands the rest of the reply to the next one, from the first piece not
  *fully* voiced: Cartesia reports each piece's end (``flush_done``), Piper is synchronous.
  Every piece is its own utterance at the sink (``<reply>#<index>.<voice>``), so the audio of
  a piece cut off mid-way is cancelled there before the next voice says the whole piece —
  nothing is said twice, nothing is skipped.
- Failures are visible: `VoiceFailed` says why and who takes over, `VoiceUsed` which voices
  spoke (the message badge).
- `stop()` only flips flags and sends a cancel frame: it returns in well under a
  millisecond; the speech thread drops whatever belonged to the stopped replies.
- Replay goes through the same pipeline: `replay_audio` plays a reply's kept audio (see
  `replay`) as a new reply, `speak_text` voices a whole text again (restored history, the
  system voice, audio evicted). Both are stopped by `stop()` like any reply. Audio of
  Cartesia and Piper is kept as it is played, and a reply counts as kept only once complete.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from functools import partial

from mayadesk.voice.errors import VoiceError
from mayadesk.voice.events import (
    CHAIN,
    PieceVoiced,
    SpeechEvent,
    SpeechFinished,
    VoiceFailed,
    VoiceName,
    VoiceUsed,
)
from mayadesk.voice.replay import KeptPiece, ReplayCache
from mayadesk.voice.speech_text import text_for_speech
from mayadesk.voice.tts_base import AudioSink, LocalVoice, PostedVoice, StreamingVoice
from mayadesk.voice.tts_reply import CartesiaListener, Reply, uid_index, utterance_id

log = logging.getLogger("mayadesk.tts")

_all_speakers: weakref.WeakSet[Speaker] = weakref.WeakSet()


def close_all_speakers(timeout: float = 3.0) -> bool:
    """At exit: silence every speaker and wait (bounded) for their threads to end.

    Tracked here, not per tab: a closed tab's widgets and controller are gone, but its
    speech thread (which keeps its speaker alive) may still be inside Piper. A daemon
    thread in onnxruntime while the interpreter finalises aborts the whole process
    ("terminate called without an active exception"), losing a clean exit.
    """
    deadline = time.monotonic() + timeout
    speakers = list(_all_speakers)
    for speaker in speakers:
        speaker.close()
    done = all(s.join(max(0.0, deadline - time.monotonic())) for s in speakers)
    if not done:
        log.warning("A speech thread did not end within %.1f s", timeout)
    return done


class Speaker:
    """A tab's speech pipeline; one reply at a time is fed, earlier ones may still speak."""

    def __init__(
        self,
        sink: AudioSink,
        emit: Callable[[SpeechEvent], None],
        *,
        piper: LocalVoice | None = None,
        system: PostedVoice | None = None,
        replay: ReplayCache | None = None,
    ) -> None:
        self._sink = sink
        self._emit_to = emit
        self._closed = False
        self._piper = piper
        self._system = system
        self._replay = replay
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._reply: Reply | None = None  # the one being fed (producer side)
        self._active: list[Reply] = []
        self._recent_uids: deque[str] = deque(maxlen=64)  # may still be playing
        self._thread = threading.Thread(target=self._run, name="mayadesk-speech", daemon=True)
        self._thread.start()
        _all_speakers.add(self)

    # ------------------------------------------------------------------ producer side

    def begin_reply(self, reply_id: str, cartesia: StreamingVoice | None = None) -> None:
        """Start a reply; `cartesia` is the session's voice, None without a Cartesia key."""
        if self._reply is not None:
            self.end_reply()
        reply = self._reply = Reply(reply_id, cartesia, cache_key=reply_id)
        self._open(reply)

    def speak_text(
        self,
        reply_id: str,
        text: str,
        *,
        cache_key: str | None = None,
        cartesia: Callable[[], StreamingVoice | None] | None = None,
    ) -> None:
        """Voice a whole text as reply `reply_id` (a replay without kept audio), alongside
        the reply being fed; its audio is kept under `cache_key`. `cartesia` is asked on the
        speech thread (it may wait for the keyring or the registry)."""
        reply = Reply(reply_id, None, cache_key=cache_key, cartesia_source=cartesia)
        self._open(reply)
        for piece in [*reply.splitter.feed(text), *reply.splitter.flush()]:
            self._put_piece(reply, piece)
        self._queue.put(partial(self._on_end, reply))

    def replay_audio(self, reply_id: str, pieces: tuple[KeptPiece, ...]) -> None:
        """Play kept audio again as reply `reply_id` (new utterance ids: the sink never
        reuses one), stoppable like any reply."""
        reply = Reply(reply_id, None)
        self._open(reply)
        self._queue.put(partial(self._on_replay, reply, pieces))

    @property
    def busy(self) -> bool:
        """Whether a reply of this speaker is still being voiced (its audio may still be
        arriving); audio already at the sink may play on after this turns False."""
        with self._lock:
            return bool(self._active)

    def _open(self, reply: Reply) -> None:
        with self._lock:
            self._active.append(reply)
        if reply.cache_key is not None and self._replay is not None:
            self._replay.begin(reply.cache_key)
        self._queue.put(partial(self._on_begin, reply))

    def feed(self, delta: str) -> None:
        """Visible reply text as it streams (never the emotion tag)."""
        reply = self._reply
        if reply is not None and not reply.stopped:
            for piece in reply.splitter.feed(delta):
                self._put_piece(reply, piece)

    def end_reply(self) -> None:
        reply, self._reply = self._reply, None
        if reply is not None and not reply.stopped:
            for piece in reply.splitter.flush():
                self._put_piece(reply, piece)
            self._queue.put(partial(self._on_end, reply))

    def stop(self) -> None:
        """Silence this speaker now: cancel its contexts, drop its audio at the sink (also of
        replies fully sent but still playing), and stop the system voice."""
        with self._lock:
            replies, self._active = self._active, []
            for reply in replies:
                reply.stopped = reply.finished = True
            streams = [r.stream for r in replies if r.stream is not None]
            uids = list(dict.fromkeys([*self._recent_uids, *(u for r in replies for u in r.uids)]))
            self._recent_uids.clear()
        for stream in streams:
            stream.cancel()
        for uid in uids:
            self._sink.cancel(uid)
        if self._replay is not None:  # a reply cut short is not worth replaying
            for reply in replies:
                if reply.cache_key is not None:
                    self._replay.discard(reply.cache_key)
        if self._system is not None:
            self._system.post_stop()
        for reply in replies:
            self._emit(SpeechFinished(reply.id, tuple(reply.voices), stopped=True))

    def close(self) -> None:
        """Stop, and let the speech thread end (it is a daemon; nothing waits for it)."""
        self.stop()
        self._closed = True
        self._reply = None
        self._queue.put(None)

    def join(self, timeout: float) -> bool:
        """After `close()`, wait for the speech thread to end; whether it did. At exit: a
        daemon thread still inside onnxruntime (Piper) while the interpreter finalises
        aborts the process."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _post(self, command: Callable[[], None]) -> None:
        """Run `command` on the speech thread, after what is already queued."""
        self._queue.put(command)

    def _put_piece(self, reply: Reply, piece: str) -> None:
        text = text_for_speech(piece)
        if text:
            self._queue.put(partial(self._on_piece, reply, text))

    # ------------------------------------------------------------------ speech thread

    def _run(self) -> None:
        while (command := self._queue.get()) is not None:
            try:
                command()
            except Exception:
                log.exception("The speech pipeline failed on a command")

    def _on_begin(self, reply: Reply) -> None:
        if reply.stopped:
            return
        if reply.cartesia_source is not None:
            try:
                reply.cartesia = reply.cartesia_source()
            except Exception:
                log.exception("Reply %s: no Cartesia voice for the replay", reply.id)
        self._start_voice(reply, "cartesia" if reply.cartesia else self._after("cartesia"))

    def _on_replay(self, reply: Reply, pieces: tuple[KeptPiece, ...]) -> None:
        for piece in pieces:
            if reply.stopped:
                return
            voice: VoiceName = "piper" if piece.voice == "piper" else "cartesia"
            uid = utterance_id(reply.id, piece.index, voice)
            self._play(reply, uid, voice, piece.pcm, piece.rate)
            self._end_utterance(reply, uid)
        self._finish(reply)

    def _on_piece(self, reply: Reply, text: str) -> None:
        if not reply.stopped:
            reply.pieces.append(text)
            self._voice_piece(reply, len(reply.pieces) - 1)

    def _on_end(self, reply: Reply) -> None:
        if reply.stopped:
            return
        reply.ended = True
        if reply.stream is not None:
            reply.stream.finish()  # its `done` finishes the reply
        else:
            self._finish(reply)

    def _on_stream_done(self, reply: Reply) -> None:
        with self._lock:
            reply.stream = None
        if reply.voice == "cartesia" and not reply.stopped:
            self._finish(reply)

    def _on_stream_failed(self, reply: Reply, error: VoiceError) -> None:
        if reply.voice == "cartesia" and not reply.stopped:
            self._fall_over(reply, error)

    def _after(self, voice: VoiceName) -> VoiceName:
        """The next voice of the chain after `voice` that is available now."""
        for name in CHAIN[CHAIN.index(voice) + 1 :]:
            if name == "piper" and self._piper is not None and self._piper.available():
                return name
            if name == "system" and self._system is not None and self._system.available():
                return name
            if name == "text":
                return name
        return "text"

    def _start_voice(self, reply: Reply, voice: VoiceName) -> None:
        reply.voice = voice
        if voice != "cartesia" or reply.cartesia is None:
            return
        try:
            stream = reply.cartesia.open_stream(CartesiaListener(self, reply))
        except VoiceError as error:
            self._fall_over(reply, error)
            return
        with self._lock:
            reply.stream = stream
            stopped = reply.stopped
        if stopped:  # stop() came during the handshake and could not see the stream
            stream.cancel()

    def _voice_piece(self, reply: Reply, index: int) -> None:
        text = reply.pieces[index]
        if reply.voice == "cartesia" and reply.stream is not None:
            reply.stream.push(text if index == 0 else " " + text)
        elif reply.voice == "piper" and self._piper is not None:
            self._synthesize(reply, index, self._piper)
        elif reply.voice == "system" and self._system is not None:
            with self._lock:
                heard_first = tuple(self._recent_uids)
            self._system.post(text, after=heard_first)
            self._mark_used(reply, "system")
            self._piece_done(reply, index, "system")
        else:
            self._mark_used(reply, "text")
            reply.voiced = index + 1

    def _synthesize(self, reply: Reply, index: int, piper: LocalVoice) -> None:
        uid = utterance_id(reply.id, index, "piper")
        play = partial(self._play, reply, uid, "piper")
        try:
            complete = piper.synthesize(reply.pieces[index], play, lambda: reply.stopped)
        except VoiceError as error:
            self._fall_over(reply, error)
            return
        if complete:
            self._end_utterance(reply, uid)
            self._piece_done(reply, index, "piper")

    def _fall_over(self, reply: Reply, error: VoiceError) -> None:
        """Hand the rest of the reply to the next voice, from the first piece not fully voiced."""
        if reply.stopped:  # e.g. its tab closed during the handshake: nothing more to say
            log.info("Reply %s: %s failed after it was stopped", reply.id, reply.voice)
            return
        failed = reply.voice
        with self._lock:
            stream, reply.stream = reply.stream, None
            partial_uids = [u for u in reply.uids if uid_index(u) >= reply.voiced]
        if stream is not None:
            stream.cancel()
        for uid in partial_uids:
            self._sink.cancel(uid)
            if self._replay is not None and reply.cache_key is not None:
                self._replay.drop_piece(reply.cache_key, uid_index(uid))
        following = self._after(failed)
        log.info(
            "Reply %s: %s failed (%s); %s goes on", reply.id, failed, error.category, following
        )
        self._emit(VoiceFailed(reply.id, failed, error, following))
        self._start_voice(reply, following)
        if reply.voice != following:
            return  # starting it failed too: that fall-over has voiced the rest
        for index in range(reply.voiced, len(reply.pieces)):
            if reply.stopped or reply.voice != following:
                return
            self._voice_piece(reply, index)
        if reply.ended and reply.voice == following:
            self._finish(reply)

    def _finish(self, reply: Reply) -> None:
        with self._lock:
            if reply.finished:
                return
            reply.finished = True
            if reply in self._active:
                self._active.remove(reply)
        if self._replay is not None and reply.cache_key is not None:
            self._replay.complete(reply.cache_key, len(reply.pieces))
        self._emit(SpeechFinished(reply.id, tuple(reply.voices)))

    # ------------------------------------------------------------------ any voice thread

    def _play(self, reply: Reply, uid: str, voice: VoiceName, pcm: bytes, rate: int) -> None:
        with self._lock:
            if reply.stopped:
                return
            if not reply.uids or reply.uids[-1] != uid:
                reply.uids.append(uid)
                self._recent_uids.append(uid)
            self._sink.play(uid, pcm, rate)  # under the lock, so stop() cancels what it sees
        if self._replay is not None and reply.cache_key is not None:
            self._replay.add(reply.cache_key, uid_index(uid), voice, pcm, rate)
        self._mark_used(reply, voice)

    def _end_utterance(self, reply: Reply, uid: str) -> None:
        with self._lock:
            if not reply.stopped and uid in reply.uids:
                self._sink.end(uid)

    def _emit(self, event: SpeechEvent) -> None:
        """Tell the tab. Once closed, the tab's QObject may be deleted while this thread is
        still finishing a command (PySide raises RuntimeError then): nobody listens, so the
        event is dropped."""
        try:
            self._emit_to(event)
        except RuntimeError:
            if not self._closed:
                raise
            log.debug("Speech event %s dropped: the speaker is closed", type(event).__name__)

    def _mark_used(self, reply: Reply, voice: VoiceName) -> None:
        with self._lock:
            first = voice not in reply.voices and not reply.stopped
            if first:
                reply.voices.append(voice)
        if first:
            self._emit(VoiceUsed(reply.id, voice))

    def _piece_done(self, reply: Reply, index: int, voice: VoiceName) -> None:
        reply.voiced = index + 1
        if not reply.stopped:
            self._emit(PieceVoiced(reply.id, index, reply.pieces[index], voice))
