"""A desktop portal's Settings interface on the test's private D-Bus, so the OS colour
scheme can be set the way GNOME sets it (org.freedesktop.appearance color-scheme).

Qt's GNOME platform theme reads the scheme through this interface and follows its
SettingChanged signal: the app under test takes its real path, only the desktop is fake.
"""

from __future__ import annotations

import threading
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

BUS_NAME = "org.freedesktop.portal.Desktop"
PATH = "/org/freedesktop/portal/desktop"
SETTINGS = "org.freedesktop.portal.Settings"
APPEARANCE = "org.freedesktop.appearance"
NO_PREFERENCE, PREFER_DARK, PREFER_LIGHT = 0, 1, 2


class FakeSettingsPortal:
    """Serves `Read`, `ReadOne` and `ReadAll` for the appearance namespace; emits changes."""

    def __init__(self, bus_address: str) -> None:
        self.color_scheme = NO_PREFERENCE
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._conn = open_dbus_connection(bus=bus_address)
        self._conn.send_and_get_reply(message_bus.RequestName(BUS_NAME, 4))  # 4: do not queue
        self._stop = threading.Event()
        self._send_lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="fake-portal", daemon=True)
        self._thread.start()

    def set_color_scheme(self, value: int) -> None:
        """Change the desktop's preference, as a user would in the desktop's settings."""
        self.color_scheme = value
        emitter = DBusAddress(PATH, interface=SETTINGS)
        signal = new_signal(emitter, "SettingChanged", "ssv",
                            (APPEARANCE, "color-scheme", ("u", value)))
        with self._send_lock:
            self._conn.send(signal)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._conn.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            except (OSError, ValueError):
                return
            if message.header.message_type != MessageType.method_call:
                continue
            reply = self._answer(message)
            with self._send_lock:
                self._conn.send(reply)

    def _answer(self, message: Any) -> Any:
        fields = message.header.fields
        interface = fields.get(HeaderFields.interface)
        member = fields.get(HeaderFields.member)
        self.calls.append((str(member), tuple(message.body)))
        value = ("u", self.color_scheme)
        if interface == SETTINGS and member in ("Read", "ReadOne"):
            namespace, key = message.body
            if (namespace, key) == (APPEARANCE, "color-scheme"):
                body = value if member == "ReadOne" else ("v", value)
                return new_method_return(message, "v", (body,))
        elif interface == SETTINGS and member == "ReadAll":
            return new_method_return(
                message, "a{sa{sv}}", ({APPEARANCE: {"color-scheme": value}},)
            )
        elif interface == "org.freedesktop.DBus.Properties" and member == "Get":
            return new_method_return(message, "v", (("u", 2),))
        return new_error(message, "org.freedesktop.portal.Error.NotFound", "s",
                         ("Requested setting not found",))
