-- Component events, version 2: webhook delivery keeps its retry state in the row and reads a conversation's lane by index.
--
-- attempts, last_error and next_attempt_at (Unix milliseconds) of a pending or replayed event are written at each failed
-- attempt, so back-off and the attempt count carry over a restart. A lane is the event's conversation, or
-- 'account:{account}' for events outside conversations; ix_wecom_event_lane finds a lane's pending events in order.
-- SQLite cannot add a column only if it is missing: the installer runs this script once, in the transaction that records it.

ALTER TABLE wecom_event ADD COLUMN next_attempt_at INTEGER NULL;
CREATE INDEX IF NOT EXISTS ix_wecom_event_lane ON wecom_event (tenant, COALESCE(NULLIF(conversation_id, ''), 'account:' || account), tenant_seq)
WHERE delivery_state = 0;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('events', 2, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (Component) DO UPDATE SET Version = excluded.Version, AppliedAt = excluded.AppliedAt;
