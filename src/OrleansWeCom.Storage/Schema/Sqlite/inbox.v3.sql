-- Component inbox, version 3: the trace a callback arrived in, and an index of the callbacks that failed.
--
-- trace_parent is the W3C traceparent of the gateway's span that accepted the callback, so that applying it and the
-- tenant's webhook delivery continue that trace; null for rows stored before this version. Failed rows (outcome 4: the
-- stored body no longer parses) are listed for operators and may be re-driven.
-- SQLite cannot add a column only if it is missing: the installer runs this script once, in the transaction that records it.

ALTER TABLE wecom_callback_inbox ADD COLUMN trace_parent TEXT NULL;
CREATE INDEX IF NOT EXISTS ix_wecom_callback_inbox_failed ON wecom_callback_inbox (id) WHERE outcome = 4;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('inbox', 3, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (Component) DO UPDATE SET Version = excluded.Version, AppliedAt = excluded.AppliedAt;
