-- Component outbox, version 1: the sends a tenant's request was answered for, one row each.
--
-- A row is inserted when the send is accepted; a send's later writes update only the columns it changes. The indexes
-- are partial so that a send's updates touch none of them until it settles: an open row enters the open index when
-- accepted and leaves it when settled; only settled rows are in the cleanup's and the account's last-settled index.
-- Times are Unix milliseconds. Every statement can run again.

CREATE TABLE IF NOT EXISTS WeComSchemaVersion (
    Component varchar(64) PRIMARY KEY,
    Version   integer NOT NULL,
    AppliedAt timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS wecom_outbox (
    msg_id VARCHAR(64) NOT NULL PRIMARY KEY,
    tenant VARCHAR(64) NOT NULL,
    wx_id VARCHAR(32) NOT NULL,
    seq BIGINT NOT NULL,
    kind INTEGER NOT NULL,
    conversation_id VARCHAR(80) NOT NULL,
    body TEXT NOT NULL,
    state INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    enqueued_at BIGINT NOT NULL,
    last_attempt_at BIGINT NULL,
    settled_at BIGINT NULL,
    next_attempt_at BIGINT NULL,
    host_msg_id VARCHAR(64) NULL,
    error_code INTEGER NULL,
    error_message TEXT NULL,
    idempotency_key VARCHAR(128) NULL
);
CREATE INDEX IF NOT EXISTS ix_wecom_outbox_open ON wecom_outbox (wx_id, seq) WHERE settled_at IS NULL;
CREATE INDEX IF NOT EXISTS ix_wecom_outbox_account_settled ON wecom_outbox (wx_id, settled_at) WHERE settled_at IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_outbox_idempotency_key ON wecom_outbox (wx_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS ix_wecom_outbox_settled_at ON wecom_outbox (settled_at) WHERE settled_at IS NOT NULL;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('outbox', 1, now())
ON CONFLICT (Component) DO UPDATE SET Version = EXCLUDED.Version, AppliedAt = EXCLUDED.AppliedAt;
