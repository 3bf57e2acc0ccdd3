-- Component outbox, version 2: an idempotency key belongs to the tenant, not to one account, so a retry that names
-- another account is recognised as a reuse of the key. Where version 1 let a tenant use one key on several accounts,
-- the earliest row keeps it (the others stay, without their key). Every statement can run again.

UPDATE wecom_outbox SET idempotency_key = NULL
WHERE idempotency_key IS NOT NULL
  AND EXISTS (SELECT 1 FROM wecom_outbox earlier
              WHERE earlier.tenant = wecom_outbox.tenant AND earlier.idempotency_key = wecom_outbox.idempotency_key
                AND (earlier.enqueued_at < wecom_outbox.enqueued_at
                     OR (earlier.enqueued_at = wecom_outbox.enqueued_at AND earlier.msg_id < wecom_outbox.msg_id)));
DROP INDEX IF EXISTS ux_wecom_outbox_idempotency_key;
CREATE UNIQUE INDEX IF NOT EXISTS ux_wecom_outbox_tenant_idempotency_key ON wecom_outbox (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt) VALUES ('outbox', 2, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (Component) DO UPDATE SET Version = excluded.Version, AppliedAt = excluded.AppliedAt;
