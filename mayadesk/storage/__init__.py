"""The SQLite conversation store and its migrations."""
