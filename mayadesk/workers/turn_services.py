"""What every tab's turns share: the key store, the session registry, the turn options.

Plain Python, no Qt: `run` is the whole body of a turn as a worker thread runs it, so it is
testable without a window. It is shared by all worker threads.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mayadesk.daemon_executor import DaemonExecutor
from mayadesk.llm.errors import GeminiKeyMissing, map_gemini_error
from mayadesk.llm.events import TurnEvent, TurnFailed, TurnFinished, TurnStarted
from mayadesk.sessions.registry import SessionRegistry
from mayadesk.sessions.session import Session

if TYPE_CHECKING:
    from mayadesk.app_services import KeyServices
    from mayadesk.config import Settings
    from mayadesk.keys.store import ProfileKeys
    from mayadesk.llm.context import Context
    from mayadesk.llm.retry import RetryPolicy
    from mayadesk.llm.send_gate import SendGate
    from mayadesk.llm.stream import ChatModel, ReplyStream
    from mayadesk.voice.tts_base import StreamingVoice
    from mayadesk.workers.tab_speech import SpeechServices, TabSpeech

log = logging.getLogger("mayadesk.turns")

POLL_SECONDS = 0.05  # how often a worker waiting for keys looks at its Stop flag
WARM_UP_EVERY_S = 10.0  # typing looks at a tab's client at most this often
WARM_UP_WAIT_S = 2.0  # a turn waits at most this long for its tab's client being built
REPLAY_KEY_WAIT = 5.0  # a replay speaking text waits this long for the keyring, then Piper


def load_turn_code() -> None:
    """Import the turn loop, the bar's tools and the retry library now (in the background
    after start-up) rather than inside the first turn, where they cost ~55 ms before its
    request could leave."""
    import mayadesk.llm.turn  # noqa: F401


@dataclass(frozen=True)
class TurnOptions:
    max_tool_rounds: int = 5
    retry: RetryPolicy | None = None
    """None: the turn loop's default (tenacity is imported with the first turn, not at start)."""
    context_budget: int = 60_000


class TurnServices:
    """The shared parts of a turn. Keys arrive after start-up (`attach_keys`), and so does
    speech (`attach_speech`: the audio output is opened once the window shows); until then
    replies are text only.

    `settings` is the app's live settings object (the Settings dialog changes it in place),
    so what a tab decides from it — e.g. `background_replies` — is read when it decides.
    """

    def __init__(
        self,
        registry: SessionRegistry[Any, Any],
        options: TurnOptions,
        settings: Settings | None = None,
    ) -> None:
        self.registry = registry
        self.options = options
        self.settings = settings
        self.speech: SpeechServices | None = None
        self._keys: KeyServices | None = None
        self._keys_ready = threading.Event()
        self._warmer: DaemonExecutor | None = None
        # session id -> when its latest warm-up was asked, and that warm-up
        self._warm_ups: dict[str, tuple[float, Future[None]]] = {}
        self._warming_lock = threading.Lock()

    def attach_keys(self, keys: KeyServices) -> None:
        self._keys = keys
        self._keys_ready.set()

    def attach_speech(self, speech: SpeechServices) -> None:
        self.speech = speech

    def cartesia_voice(self, session: Session, keys: ProfileKeys) -> StreamingVoice | None:
        """The session's Cartesia voice (worker thread: the registry may block), or None
        without a key — or when the client cannot be built — so the reply goes to Piper."""
        if not keys.cartesia:
            return None
        try:
            voice: StreamingVoice = self.registry.get_tts(session.id, keys.cartesia)
        except Exception as exc:
            log.info("Session %s: no Cartesia client (%s)", session.id[:8], type(exc).__name__)
            return None
        return voice

    def replay_voice(self, session: Session) -> StreamingVoice | None:
        """The session's Cartesia voice for a replay (on the speech thread): like a turn's,
        but waiting at most `REPLAY_KEY_WAIT` for the keyring, then Piper speaks."""
        keys = self.key_snapshot(
            session.profile, threading.Event(), deadline=time.monotonic() + REPLAY_KEY_WAIT
        )
        return self.cartesia_voice(session, keys) if keys is not None else None

    def key_snapshot(
        self,
        profile: str,
        cancel: threading.Event,
        deadline: float | None = None,
        *,
        may_prompt: bool = True,
    ) -> ProfileKeys | None:
        """The profile's keys for this turn, read on the keyring thread; None if cancelled
        (or past `deadline`, a `time.monotonic()` value), or, without `may_prompt`, when
        they cannot be read without asking the user (a locked keyring).

        Reads are in order with the user's changes: when the keyring thread has nothing
        pending, the kept Secret Service connection is read right here (no hop, ~2 ms);
        otherwise the read queues behind the pending changes on that thread. Either way a
        key replaced in Settings is what the very next turn reads.
        """

        def given_up() -> bool:
            return cancel.is_set() or (deadline is not None and time.monotonic() > deadline)

        while not self._keys_ready.wait(POLL_SECONDS):
            if given_up():
                return None
        keys = self._keys
        assert keys is not None
        if keys.keyring_executor.idle():  # no change of the user's is pending: read here
            quick = keys.store.quick_snapshot(profile)
            if quick is not None or not may_prompt:
                return quick
        read = keys.store.snapshot if may_prompt else keys.store.quick_snapshot
        future = keys.keyring_executor.submit(read, profile)
        while True:
            try:
                return future.result(POLL_SECONDS)
            except FutureTimeout:
                if given_up():
                    future.cancel()
                    return None

    def run(
        self,
        session: Session,
        turn_id: int,
        cancel: threading.Event,
        emit: Callable[[TurnEvent], None],
        speech: TabSpeech | None = None,
    ) -> None:
        """One turn of `session` (on a worker thread): keys, client, then the LLM turn;
        with `speech`, the reply's visible text is also spoken as it streams.

        Once the tab has a client (from its second turn on, or from its first when typing
        built it ahead, see `warm_up`), the first request is prepared while the keys are
        read (`_prepare_ahead`) and sent only once they allow the client it was prepared with.
        """
        from mayadesk.bar.tools import BarTools
        from mayadesk.llm.retry import DEFAULT_RETRY
        from mayadesk.llm.turn import run_turn

        self.wait_for_warm_up(session, cancel)
        ahead = self._prepare_ahead(session, cancel)
        try:
            allowed = self._allowed_llm(session, turn_id, cancel, emit, ahead)
        finally:
            if ahead is not None and not ahead.gate.decided:
                ahead.close()  # whatever happened, a request not allowed is never sent
        if allowed is None:
            return
        llm, keys = allowed
        if speech is not None:
            emit = speech.tap(turn_id, cancel, lambda: self.cartesia_voice(session, keys), emit)
        try:
            run_turn(
                session,
                llm,
                BarTools(session.bar, session.lock),
                turn_id=turn_id,
                cancel=cancel,
                emit=emit,
                max_tool_rounds=self.options.max_tool_rounds,
                retry=self.options.retry or DEFAULT_RETRY,
                context_budget=self.options.context_budget,
            )
        finally:
            if isinstance(llm, PreparedRequest):
                llm.close()  # stopped before the loop took its request: end it

    def _allowed_llm(
        self,
        session: Session,
        turn_id: int,
        cancel: threading.Event,
        emit: Callable[[TurnEvent], None],
        ahead: PreparedRequest | None,
    ) -> tuple[ChatModel, ProfileKeys] | None:
        """The turn's keys and the client they allow — `ahead` itself, its gate opened,
        when it was prepared with that client. None when the turn ends here (stopped, no
        key, no client), its events emitted."""
        from mayadesk.llm.turn import TOOL_DECLARATIONS

        profile = session.profile
        keys = self.key_snapshot(profile, cancel)
        if keys is None:
            emit(TurnStarted(turn_id))
            emit(TurnFinished(turn_id, "", session.emotion, stopped=True))
            return None
        if not keys.gemini:
            emit(TurnStarted(turn_id))
            error = map_gemini_error(GeminiKeyMissing(), profile)
            if keys.problem:  # the keyring could not be read: say that, not "no key"
                error = dataclasses.replace(error, message=keys.problem)
            emit(TurnFailed(turn_id, error))
            return None
        try:
            llm: ChatModel = self.registry.get_llm(session.id, keys.gemini, TOOL_DECLARATIONS)
        except Exception as exc:
            log.warning("Session %s: no Gemini client (%s)", session.id[:8], type(exc).__name__)
            emit(TurnStarted(turn_id))
            emit(TurnFailed(turn_id, map_gemini_error(exc, profile)))
            return None
        if ahead is not None and ahead.client is llm:  # the keys allow it: send
            ahead.gate.open()
            return ahead, keys
        return llm, keys  # (a key changed: `run` refuses the held request, nothing was sent)

    def _prepare_ahead(self, session: Session, cancel: threading.Event) -> PreparedRequest | None:
        """The turn's first request, started with the session's cached Gemini client and
        held before sending (see `llm.send_gate`), so the SDK builds it while the keys are
        read; None when there is no cached client yet (a tab's first turn) to prepare with."""
        from mayadesk.llm.send_gate import SendGate
        from mayadesk.llm.turn import TOOL_DECLARATIONS, request_context

        client = self.registry.peek_llm(session.id, TOOL_DECLARATIONS)
        if client is None or not getattr(client, "holds_requests", False) or cancel.is_set():
            return None
        context = request_context(session, self.options.context_budget)
        gate = SendGate()
        try:
            stream = client.stream(context, cancel, gate)
        except Exception as exc:  # e.g. a client closed meanwhile: the usual path will do
            log.info("Session %s: request not prepared (%s)", session.id[:8], type(exc).__name__)
            return None
        return PreparedRequest(client, context, gate, stream)

    def warm_up(self, session: Session, is_open: Callable[[], bool]) -> None:
        """The user started typing in a tab: build its Gemini client now, off the UI thread.

        A tab's first turn otherwise builds it after Enter (the SDK's client, its HTTP
        client and SSL context: 120-210 ms measured here) and cannot prepare its request
        ahead (`_prepare_ahead` needs a cached client). Cheap to call on every keystroke:
        a tab is looked at once per `WARM_UP_EVERY_S`, on the warm-up thread (a client may
        have been evicted since). Never prompts: keys that cannot be read without asking
        (a locked keyring) leave it to the turn.
        """
        now = time.monotonic()
        with self._warming_lock:
            last = self._warm_ups.get(session.id)
            if self._keys is None or (last is not None and now - last[0] < WARM_UP_EVERY_S):
                return
            if self._warmer is None:
                self._warmer = DaemonExecutor("mayadesk-tab-warm-up")
            self._warm_ups[session.id] = now, self._warmer.submit(self._warm, session, is_open)

    def wait_for_warm_up(self, session: Session, cancel: threading.Event) -> None:
        """A turn whose tab is still building its client ahead waits for that rather than
        building a second one alongside (two builds share the GIL: both would be slower)."""
        with self._warming_lock:
            _, future = self._warm_ups.get(session.id, (0.0, None))
        deadline = time.monotonic() + WARM_UP_WAIT_S
        while future is not None and not future.done() and not cancel.is_set():
            if time.monotonic() > deadline:
                return
            wait([future], timeout=POLL_SECONDS)

    def _warm(self, session: Session, is_open: Callable[[], bool]) -> None:
        from mayadesk.llm.turn import TOOL_DECLARATIONS

        try:
            if not is_open() or self.registry.peek_llm(session.id, TOOL_DECLARATIONS) is not None:
                return
            snapshot = self.key_snapshot(
                session.profile,
                threading.Event(),
                deadline=time.monotonic() + WARM_UP_WAIT_S,
                may_prompt=False,
            )
            if snapshot is None or not snapshot.gemini or not is_open():
                return
            self.registry.get_llm(session.id, snapshot.gemini, TOOL_DECLARATIONS)
            if not is_open():  # the tab closed while it was built: nothing may outlive it
                self.registry.clear(session.id)
            else:
                log.info("Session %s: Gemini client built ahead of the turn", session.id[:8])
        except Exception as exc:  # the turn will meet it again and say so in words
            log.info("Session %s: no client ahead (%s)", session.id[:8], type(exc).__name__)

    def release(self, session: Session) -> None:
        """The tab closed: close its clients (connection pools, sockets)."""
        with self._warming_lock:
            self._warm_ups.pop(session.id, None)
        self.registry.clear(session.id)


class PreparedRequest:
    """A turn's first request, prepared with a cached client and held at its `gate`.

    A `ChatModel` to the turn loop: its first `stream` is the prepared one when asked for
    the same context (it is, unless the history changed meanwhile); every other call goes
    to the client, as a retry or a tool round would.
    """

    def __init__(self, client: Any, context: Context, gate: SendGate, stream: ReplyStream):
        self.client = client
        self.gate = gate
        self._context: Context | None = context
        self._stream: ReplyStream | None = stream

    def stream(self, context: Context, cancel: threading.Event) -> ReplyStream:
        prepared, self._stream = self._stream, None
        expected, self._context = self._context, None
        if prepared is not None:
            if context == expected:
                return prepared
            prepared.close()
        fresh: ReplyStream = self.client.stream(context, cancel)
        return fresh

    def close(self) -> None:
        """Refuse the held request and end it, unless the turn loop has taken it (then the
        loop closes it). Closing a held stream refuses its gate."""
        prepared, self._stream = self._stream, None
        if prepared is not None:
            prepared.close()

