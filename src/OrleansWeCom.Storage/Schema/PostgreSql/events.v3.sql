-- Component events, version 3: the trace each event belongs to.
--
-- trace_parent is the W3C traceparent of the span that produced the event (applying a host's callback), so that the
-- webhook delivery continues the trace that began when the gateway accepted the callback; null where there was none.
-- Every statement can run again.

ALTER TABLE wecom_event ADD COLUMN IF NOT EXISTS trace_parent text NULL;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('events', 3, now())
ON CONFLICT (Component) DO UPDATE SET Version = EXCLUDED.Version, AppliedAt = EXCLUDED.AppliedAt;
