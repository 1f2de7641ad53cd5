-- The schema MayaDesk shipped as version 1 (PRAGMA user_version = 1), as SQLite stores it.
-- Never edit: a test builds a v1 database from this file and migrates it to the latest.

CREATE TABLE conversations (
        id               TEXT PRIMARY KEY,
        title            TEXT NOT NULL,
        profile          TEXT NOT NULL,
        position         INTEGER,
        is_open          INTEGER NOT NULL DEFAULT 1 CHECK (is_open IN (0, 1)),
        is_current       INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
        closed_at        REAL,
        created          REAL NOT NULL,
        updated          REAL NOT NULL,
        phase            TEXT NOT NULL,
        emotion          TEXT NOT NULL,
        small_talk_turns INTEGER NOT NULL DEFAULT 0,
        bar_state        TEXT NOT NULL
    );

CREATE UNIQUE INDEX conversations_one_current ON conversations (is_current) WHERE is_current = 1;

CREATE INDEX conversations_tabs ON conversations (is_open, position);

CREATE INDEX conversations_closed ON conversations (closed_at) WHERE closed_at IS NOT NULL;

CREATE INDEX conversations_updated ON conversations (updated);

CREATE TABLE entries (
        id              INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq             INTEGER NOT NULL,
        kind            TEXT NOT NULL CHECK (kind IN ('message', 'tool_exchange')),
        role            TEXT,
        message_kind    TEXT,
        text            TEXT NOT NULL DEFAULT '',
        emotion         TEXT,
        created         REAL NOT NULL,
        voice           TEXT,
        stopped         INTEGER NOT NULL DEFAULT 0 CHECK (stopped IN (0, 1)),
        failed          INTEGER NOT NULL DEFAULT 0 CHECK (failed IN (0, 1)),
        pending         INTEGER NOT NULL DEFAULT 0 CHECK (pending IN (0, 1)),
        tool_calls      TEXT,
        tool_results    TEXT,
        UNIQUE (conversation_id, seq)
    );

CREATE INDEX entries_pending ON entries (pending) WHERE pending = 1;

CREATE TABLE turn_timings (
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        turn_seq        INTEGER NOT NULL,
        timings         TEXT NOT NULL,
        recorded        REAL NOT NULL,
        PRIMARY KEY (conversation_id, turn_seq)
    ) WITHOUT ROWID;
