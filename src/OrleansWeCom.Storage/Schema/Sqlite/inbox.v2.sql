-- Component inbox, version 2: each row names its stream and the stream's queue.
--
-- The callbacks reach their grains through an Orleans persistent stream whose queues are read from this table. A
-- callback's stream is its account (wxid) for messages and room events, else its container (the source hostname);
-- every row of a stream carries the stream's queue (a hash of its key), and each queue's pending rows are read in id
-- order by whichever silo holds the queue. Rows stored before this version are in queue 0, on their container's stream.
-- SQLite cannot add a column only if it is missing: the installer runs this script once, in the transaction that records it.

ALTER TABLE wecom_callback_inbox ADD COLUMN queue INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wecom_callback_inbox ADD COLUMN stream TEXT NULL;
CREATE INDEX IF NOT EXISTS ix_wecom_callback_inbox_queue_pending ON wecom_callback_inbox (queue, id) WHERE processed_at IS NULL;
DROP INDEX IF EXISTS ix_wecom_callback_inbox_pending;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('inbox', 2, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (Component) DO UPDATE SET Version = excluded.Version, AppliedAt = excluded.AppliedAt;
