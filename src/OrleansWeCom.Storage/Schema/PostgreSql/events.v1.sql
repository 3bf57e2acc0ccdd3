-- Component events, version 1: the log of every event delivered to tenants, its sequence counters and the webhooks.
--
-- wecom_event_counter holds the last sequence number of each scope ('t|{tenant}' and 'a|{tenant}|{account}'); the
-- writer reads and advances it inside the insert transaction, so numbers are gap-free and commit in order.
-- delivery_state: 0 pending, 1 delivered, 2 dead, 3 replay asked. Times are Unix milliseconds. Every statement can run again.

CREATE TABLE IF NOT EXISTS WeComSchemaVersion (
    Component varchar(64) PRIMARY KEY,
    Version   integer NOT NULL,
    AppliedAt timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS wecom_event_counter (
    scope text NOT NULL PRIMARY KEY,
    value bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS wecom_event (
    tenant text NOT NULL,
    tenant_seq bigint NOT NULL,
    account text NOT NULL,
    account_seq bigint NOT NULL,
    msg_id text NOT NULL,
    type text NOT NULL,
    source text NULL,
    user_id text NULL,
    wx_id text NULL,
    ts bigint NOT NULL,
    data text NULL,
    send_msg_id text NULL,
    conversation_id text NULL,
    created_at bigint NOT NULL,
    delivery_state smallint NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error text NULL,
    dead_at bigint NULL,
    replayed_at bigint NULL,
    PRIMARY KEY (tenant, tenant_seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_event_msg ON wecom_event (tenant, msg_id);
CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_event_account ON wecom_event (tenant, account, account_seq);
CREATE INDEX IF NOT EXISTS ix_wecom_event_attention ON wecom_event (tenant, delivery_state, tenant_seq) WHERE delivery_state >= 2;
CREATE INDEX IF NOT EXISTS ix_wecom_event_created ON wecom_event (created_at);

CREATE TABLE IF NOT EXISTS wecom_webhook (
    tenant text NOT NULL PRIMARY KEY,
    url text NOT NULL,
    secret text NOT NULL,
    watermark bigint NOT NULL,
    updated_at bigint NOT NULL
);

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('events', 1, now())
ON CONFLICT (Component) DO UPDATE SET Version = EXCLUDED.Version, AppliedAt = EXCLUDED.AppliedAt;
