"""One conversation's page: transcript, composer and buttons, Maya's face and the order."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mayadesk.llm.errors import ErrorCategory
from mayadesk.llm.events import TurnFailed, TurnFinished
from mayadesk.sessions.history import Message, ReplyRecord
from mayadesk.ui.avatar_view import AvatarView
from mayadesk.ui.composer import Composer
from mayadesk.ui.mic_button import NO_MICROPHONE_TIP, MicButton
from mayadesk.ui.order_panel import OrderPanel
from mayadesk.ui.transcript_view import TranscriptView
from mayadesk.workers.tab_controller import TabController

HANDS_FREE_TIP = "Hands-free: Maya hears you whenever you speak, no button needed"


class ConversationTab(QWidget):
    """The widgets of one tab, driven by its `TabController`.

    Signals:
        splitter_moved(QByteArray): the user moved the splitter; its new state.
        keys_requested(): the user asked to open Settings → Keys (from an error).
        unheard_changed(int): how many of Maya's replies finished here, in the background,
            without being heard (the tab strip may mark the tab while it is not 0).
        talk_clicked(): the microphone button was clicked (start, or stop and send).
        hands_free_toggled(bool): the user switched hands-free listening on or off.
        voice_retry_clicked(): "Retry" on a failed transcription (its recording is kept).
    """

    splitter_moved = Signal(QByteArray)
    keys_requested = Signal()
    unheard_changed = Signal(int)
    talk_clicked = Signal()
    hands_free_toggled = Signal(bool)
    voice_retry_clicked = Signal()

    def __init__(self, controller: TabController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.transcript = TranscriptView()
        self.composer = Composer()
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip("Send (Enter)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop Maya (Esc)")
        self.stop_button.setEnabled(False)
        self.mic_button = MicButton()
        self.hands_free_button = QToolButton()
        self.hands_free_button.setObjectName("handsFreeButton")
        self.hands_free_button.setText("Hands-free")
        self.hands_free_button.setCheckable(True)
        self.hands_free_button.setAccessibleName("Hands-free listening")
        self.hands_free_button.setToolTip(HANDS_FREE_TIP)
        self.avatar = AvatarView()
        self.order_panel = OrderPanel()

        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.mic_button)
        buttons.addWidget(self.hands_free_button)
        composer_row = QHBoxLayout()
        composer_row.addWidget(self.composer, 1)
        composer_row.addLayout(buttons)

        talk = QWidget()
        talk_layout = QVBoxLayout(talk)
        talk_layout.setContentsMargins(0, 0, 0, 0)
        talk_layout.addWidget(self.transcript, 1)
        talk_layout.addLayout(composer_row)

        side = QWidget()
        side.setObjectName("sidePanel")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.avatar)
        side_layout.addWidget(self.order_panel, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("conversationSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(talk)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.status = QLabel()
        self.status.setObjectName("turnStatus")
        self.status.hide()
        talk_layout.insertWidget(1, self.status)
        self.voice_badge = QLabel()  # which voice spoke Maya's latest reply
        self.voice_badge.setObjectName("voiceBadge")
        self.voice_badge.setToolTip("The voice that spoke Maya's latest reply")
        self.voice_badge.hide()
        talk_layout.insertWidget(2, self.voice_badge)
        self.voice_notice = QLabel()  # what became of the user's speech, when not sent
        self.voice_notice.setObjectName("voiceNotice")
        self.voice_notice.setWordWrap(True)
        self.voice_retry_button = QPushButton("Retry")
        self.voice_retry_button.setObjectName("voiceRetryButton")
        self.voice_retry_button.setToolTip("Send what you said to be transcribed again")
        self.voice_notice_row = QWidget()
        notice_layout = QHBoxLayout(self.voice_notice_row)
        notice_layout.setContentsMargins(0, 0, 0, 0)
        notice_layout.addWidget(self.voice_notice, 1)
        notice_layout.addWidget(self.voice_retry_button, 0, Qt.AlignmentFlag.AlignTop)
        self.voice_notice_row.hide()
        talk_layout.insertWidget(3, self.voice_notice_row)

        self.setFocusProxy(self.composer)
        session = controller.session
        self._drawn = False  # the transcript is drawn when the tab is first shown
        with session.lock:
            self.avatar.set_emotion(str(session.emotion))
            self.order_panel.show_snapshot(session.bar.snapshot())

        self.composer.send_requested.connect(self.send)
        self.composer.textChanged.connect(self._on_composer_text_changed)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(controller.stop)
        self.mic_button.clicked.connect(self.talk_clicked)
        self.hands_free_button.toggled.connect(self.hands_free_toggled)
        self.voice_retry_button.clicked.connect(self.voice_retry_clicked)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        self.transcript.action_requested.connect(self._on_transcript_action_requested)
        self.transcript.play_requested.connect(self._on_transcript_play_requested)
        self.transcript.stop_requested.connect(controller.stop_speech)
        self.order_panel.tip_pressed.connect(self._on_order_panel_tip_pressed)
        controller.message_added.connect(self._on_controller_message_added)
        controller.busy_changed.connect(self._on_controller_busy_changed)
        controller.reply_started.connect(self._on_controller_reply_started)
        controller.reply_delta.connect(self._on_controller_reply_delta)
        controller.reply_finished.connect(self._on_controller_reply_finished)
        controller.turn_failed.connect(self._on_controller_turn_failed)
        controller.status_changed.connect(self._on_controller_status_changed)
        controller.emotion_changed.connect(self.avatar.set_emotion)
        controller.order_changed.connect(self.order_panel.show_snapshot)
        controller.voice_changed.connect(self._on_controller_voice_changed)
        controller.record_changed.connect(self._on_controller_record_changed)
        controller.unheard_changed.connect(self.unheard_changed)

    def send(self) -> None:
        """Hand the composer's text to the controller; clear it only when it was taken."""
        if self.controller.submit(self.composer.toPlainText()):
            self.composer.clear()
        self.composer.setFocus()

    def _on_composer_text_changed(self) -> None:
        if not self.composer.document().isEmpty():
            self.controller.warm_up()

    def take_spoken(self, text: str, *, review: bool) -> None:
        """Words the user said to this tab: sent as their message, or with `review` put in
        the composer (after what is typed there) to edit and send with Enter."""
        self.show_voice_notice("")
        if not review:
            self.controller.submit(text)
            return
        typed = self.composer.toPlainText().rstrip()
        self.composer.setPlainText(f"{typed} {text}" if typed else text)
        self.composer.moveCursor(QTextCursor.MoveOperation.End)
        if self.isVisible():
            self.composer.setFocus()

    def show_voice_notice(self, text: str, *, retry: bool = False) -> None:
        """Why the user's speech was not sent ("" clears it), with "Retry" when its
        recording is kept; typing is unaffected."""
        self.voice_notice.setText(text)
        self.voice_notice.setVisible(bool(text))
        self.voice_retry_button.setVisible(bool(text) and retry)
        self.voice_notice_row.setVisible(bool(text))

    def set_talk_available(self, available: bool) -> None:
        """Whether a microphone is listed: without one the talk buttons are off and say why
        (Ctrl+Space still answers, with the same sentence)."""
        self.mic_button.set_available(available)
        self.hands_free_button.setEnabled(available)
        self.hands_free_button.setToolTip(HANDS_FREE_TIP if available else NO_MICROPHONE_TIP)

    def set_hands_free(self, on: bool) -> None:
        """Show hands-free as on or off (without asking for it again)."""
        blocked = self.hands_free_button.blockSignals(True)
        self.hands_free_button.setChecked(on)
        self.hands_free_button.blockSignals(blocked)

    def set_replies_playable(self, playable: bool) -> None:
        """Whether Maya's messages offer Play · Stop (not without an audio output)."""
        self.transcript.set_playable(playable)

    def ensure_drawn(self) -> None:
        """Draw the history once: restored tabs cost nothing until someone looks at them."""
        if not self._drawn:
            self._drawn = True
            self.transcript.show_messages(self.controller.session.messages())

    def showEvent(self, event: QShowEvent) -> None:
        self.ensure_drawn()
        if not event.spontaneous():  # not a window restored from minimised
            self.controller.set_in_front(True)
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        """Another tab came to the front: this one falls silent (one voice at a time).

        A minimised window hides its widgets spontaneously; Maya keeps talking then."""
        if not event.spontaneous():
            self.controller.set_in_front(False)
        super().hideEvent(event)

    def _on_controller_voice_changed(self, text: str) -> None:
        self.voice_badge.setText(text)
        self.voice_badge.setVisible(bool(text))

    def _on_controller_record_changed(self, record: ReplyRecord) -> None:
        if self._drawn:
            self.transcript.refresh_record(record)

    def _on_transcript_play_requested(self, message: Message) -> None:
        self.controller.play(message)

    def _on_controller_reply_started(self) -> None:
        self.ensure_drawn()
        self.transcript.begin_reply()

    def _on_controller_reply_delta(self, delta: str) -> None:
        self.transcript.append_reply(delta)

    def _on_controller_message_added(self, message: Message) -> None:
        if not self._drawn:
            self.ensure_drawn()
            if message in self.transcript.messages():
                return  # already in the session, so drawn with it
        self.transcript.add_message(message)

    def _on_controller_busy_changed(self, busy: bool) -> None:
        self.stop_button.setEnabled(busy)

    def _on_controller_reply_finished(self, finished: TurnFinished) -> None:
        self.ensure_drawn()
        self.transcript.finish_reply(
            finished.text, stopped=finished.stopped, record=self.controller.reply_record
        )

    def _on_controller_turn_failed(self, failed: TurnFailed) -> None:
        self.ensure_drawn()
        self.transcript.finish_reply(
            failed.partial_text, failed=True, record=self.controller.reply_record
        )
        error = failed.error
        self.transcript.show_error(
            error.message,
            retry=error.retryable or error.category is not ErrorCategory.AUTH,
            keys=error.category is ErrorCategory.AUTH,
        )

    def _on_controller_status_changed(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _on_transcript_action_requested(self, action: str) -> None:
        if action == "retry":
            self.controller.retry()
        elif action == "keys":
            self.keys_requested.emit()

    def _on_order_panel_tip_pressed(self, percent: int) -> None:
        problem = self.controller.press_tip(percent)
        if problem is not None:
            with self.controller.session.lock:
                self.order_panel.show_snapshot(self.controller.session.bar.snapshot())
            self.order_panel.show_problem(problem)

    def _on_splitter_moved(self, _pos: int, _index: int) -> None:
        self.splitter_moved.emit(self.splitter.saveState())
