"""Unit tests of mayadesk.keys (pure logic; keyring backends that need no D-Bus)."""
