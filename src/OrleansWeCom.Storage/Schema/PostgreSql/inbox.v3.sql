-- Component inbox, version 3: the trace a callback arrived in, and an index of the callbacks that failed.
--
-- trace_parent is the W3C traceparent of the gateway's span that accepted the callback, so that applying it and the
-- tenant's webhook delivery continue that trace; null for rows stored before this version. Failed rows (outcome 4: the
-- stored body no longer parses) are listed for operators and may be re-driven. Every statement can run again.

ALTER TABLE wecom_callback_inbox ADD COLUMN IF NOT EXISTS trace_parent text NULL;
CREATE INDEX IF NOT EXISTS ix_wecom_callback_inbox_failed ON wecom_callback_inbox (id) WHERE outcome = 4;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('inbox', 3, now())
ON CONFLICT (Component) DO UPDATE SET Version = EXCLUDED.Version, AppliedAt = EXCLUDED.AppliedAt;
