-- Component events, version 3: the trace each event belongs to.
--
-- trace_parent is the W3C traceparent of the span that produced the event (applying a host's callback), so that the
-- webhook delivery continues the trace that began when the gateway accepted the callback; null where there was none.
-- SQLite cannot add a column only if it is missing: the installer runs this script once, in the transaction that records it.

ALTER TABLE wecom_event ADD COLUMN trace_parent TEXT NULL;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('events', 3, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (Component) DO UPDATE SET Version = excluded.Version, AppliedAt = excluded.AppliedAt;
