-- Component events, version 1: the log of every event delivered to tenants, its sequence counters and the webhooks.
--
-- wecom_event_counter holds the last sequence number of each scope ('t|{tenant}' and 'a|{tenant}|{account}'); the
-- writer reads and advances it inside the insert transaction, so numbers are gap-free and commit in order.
-- delivery_state: 0 pending, 1 delivered, 2 dead, 3 replay asked. Times are Unix milliseconds. Every statement can run again.

CREATE TABLE IF NOT EXISTS WeComSchemaVersion (
    Component TEXT NOT NULL PRIMARY KEY,
    Version   INTEGER NOT NULL,
    AppliedAt TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS wecom_event_counter (
    scope TEXT NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS wecom_event (
    tenant TEXT NOT NULL,
    tenant_seq INTEGER NOT NULL,
    account TEXT NOT NULL,
    account_seq INTEGER NOT NULL,
    msg_id TEXT NOT NULL,
    type TEXT NOT NULL,
    source TEXT NULL,
    user_id TEXT NULL,
    wx_id TEXT NULL,
    ts INTEGER NOT NULL,
    data TEXT NULL,
    send_msg_id TEXT NULL,
    conversation_id TEXT NULL,
    created_at INTEGER NOT NULL,
    delivery_state INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    dead_at INTEGER NULL,
    replayed_at INTEGER NULL,
    PRIMARY KEY (tenant, tenant_seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_event_msg ON wecom_event (tenant, msg_id);
CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_event_account ON wecom_event (tenant, account, account_seq);
CREATE INDEX IF NOT EXISTS ix_wecom_event_attention ON wecom_event (tenant, delivery_state, tenant_seq) WHERE delivery_state >= 2;
CREATE INDEX IF NOT EXISTS ix_wecom_event_created ON wecom_event (created_at);

CREATE TABLE IF NOT EXISTS wecom_webhook (
    tenant TEXT NOT NULL PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    watermark INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('events', 1, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (Component) DO UPDATE SET Version = excluded.Version, AppliedAt = excluded.AppliedAt;
