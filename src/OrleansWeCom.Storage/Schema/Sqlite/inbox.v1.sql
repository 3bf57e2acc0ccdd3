-- Component inbox, version 1: the callback inbox, one row per distinct callback.
--
-- A row is kept for the retention after processing as the de-duplication. A chat message is identified by its server
-- key ({wxid}:{server_id}), which a host's retry of the envelope and a re-push under a new msgId both repeat; every
-- other callback by its msgId. Each row so enters one unique index, not two: the keys are random, so every entry costs
-- a page write per commit. Rows with processed_at null were acknowledged to a host and are not applied yet.
-- Times are Unix milliseconds. Every statement can run again.

CREATE TABLE IF NOT EXISTS WeComSchemaVersion (
    Component TEXT NOT NULL PRIMARY KEY,
    Version   INTEGER NOT NULL,
    AppliedAt TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS wecom_callback_inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id TEXT NOT NULL,
    server_key TEXT NULL,
    host_key TEXT NOT NULL,
    source TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    processed_at INTEGER NULL,
    outcome INTEGER NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_callback_inbox_unkeyed_msg_id ON wecom_callback_inbox (msg_id) WHERE server_key IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_callback_inbox_server_key ON wecom_callback_inbox (server_key);
CREATE INDEX IF NOT EXISTS ix_wecom_callback_inbox_pending ON wecom_callback_inbox (id) WHERE processed_at IS NULL;
CREATE INDEX IF NOT EXISTS ix_wecom_callback_inbox_received_at ON wecom_callback_inbox (received_at);

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('inbox', 1, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (Component) DO UPDATE SET Version = excluded.Version, AppliedAt = excluded.AppliedAt;
