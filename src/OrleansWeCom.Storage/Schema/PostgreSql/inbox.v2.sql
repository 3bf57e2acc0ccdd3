-- Component inbox, version 2: each row names its stream and the stream's queue.
--
-- The callbacks reach their grains through an Orleans persistent stream whose queues are read from this table. A
-- callback's stream is its account (wxid) for messages and room events, else its container (the source hostname);
-- every row of a stream carries the stream's queue (a hash of its key), and each queue's pending rows are read in id
-- order by whichever silo holds the queue. Rows stored before this version are in queue 0, on their container's stream.
-- Every statement can run again.

ALTER TABLE wecom_callback_inbox ADD COLUMN IF NOT EXISTS queue integer NOT NULL DEFAULT 0;
ALTER TABLE wecom_callback_inbox ADD COLUMN IF NOT EXISTS stream text NULL;
CREATE INDEX IF NOT EXISTS ix_wecom_callback_inbox_queue_pending ON wecom_callback_inbox (queue, id) WHERE processed_at IS NULL;
DROP INDEX IF EXISTS ix_wecom_callback_inbox_pending;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('inbox', 2, now())
ON CONFLICT (Component) DO UPDATE SET Version = EXCLUDED.Version, AppliedAt = EXCLUDED.AppliedAt;
