"""The SQLite conversation store and its migrations.

`open_store` is the way in (it survives damaged files); `ConversationStore` is the API the
app's writer thread calls; `mapping` converts sessions and history entries to and from what
is stored; `InstanceLock` keeps a second MayaDesk off the same data directory.
"""

from mayadesk.storage.instance_lock import AlreadyRunningError, InstanceLock
from mayadesk.storage.mapping import entry_to_row, restore_session, row_to_entry, session_to_record
from mayadesk.storage.records import (
    ConversationRecord,
    SearchHit,
    StoredEntry,
    StoreError,
    UnknownConversationError,
)
from mayadesk.storage.recovery import move_aside, open_store
from mayadesk.storage.schema import SCHEMA_VERSION, NewerSchemaError
from mayadesk.storage.store import ConversationStore

STORE_FILE_NAME = "conversations.sqlite3"

__all__ = [
    "SCHEMA_VERSION",
    "STORE_FILE_NAME",
    "AlreadyRunningError",
    "ConversationRecord",
    "ConversationStore",
    "InstanceLock",
    "NewerSchemaError",
    "SearchHit",
    "StoreError",
    "StoredEntry",
    "UnknownConversationError",
    "entry_to_row",
    "move_aside",
    "open_store",
    "restore_session",
    "row_to_entry",
    "session_to_record",
]
