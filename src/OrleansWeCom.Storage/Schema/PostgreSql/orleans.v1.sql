-- Component orleans, version 1.
--
-- OrleansWeCom storage schema for PostgreSQL: membership, grain state and reminders behind
-- Orleans' ADO.NET providers (invariant Npgsql). Written for this project from the providers'
-- query keys, parameters and result columns. Every statement can run again: tables and indexes
-- are created if missing and every OrleansQuery row is upserted. Runs as is with psql, or at
-- silo start when Storage:ApplySchema is true (in one transaction, under an advisory lock).
--
-- Names are unquoted, so PostgreSQL folds them to lower case; Npgsql matches the providers'
-- column names without regard to case. Parameters that may be NULL are cast, because Npgsql
-- sends a NULL without a type and PostgreSQL cannot infer one in IS NULL or COALESCE.

CREATE TABLE IF NOT EXISTS WeComSchemaVersion (
    Component varchar(64) PRIMARY KEY,
    Version   integer NOT NULL,
    AppliedAt timestamptz NOT NULL
);

-- The providers read their statements from here: SELECT QueryKey, QueryText FROM OrleansQuery.
CREATE TABLE IF NOT EXISTS OrleansQuery (
    QueryKey  varchar(64) PRIMARY KEY,
    QueryText text NOT NULL
);

-- Grain state. StateName is what the provider calls the grain type: the state name given in
-- [PersistentState], which is not unique across grain types, so state names must be.
CREATE TABLE IF NOT EXISTS WeComGrainState (
    ServiceId        text NOT NULL,
    StateName        text NOT NULL,
    GrainIdN0        bigint NOT NULL,
    GrainIdN1        bigint NOT NULL,
    GrainIdExtension text NOT NULL DEFAULT '',
    Payload          bytea NULL,
    Version          integer NOT NULL,
    ModifiedOn       timestamptz NOT NULL,
    PRIMARY KEY (ServiceId, StateName, GrainIdN0, GrainIdN1, GrainIdExtension)
);

CREATE TABLE IF NOT EXISTS WeComReminder (
    ServiceId    text NOT NULL,
    GrainId      text NOT NULL,
    ReminderName text NOT NULL,
    StartTime    timestamptz NOT NULL,
    Period       bigint NOT NULL,
    GrainHash    integer NOT NULL,
    Version      integer NOT NULL,
    PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX IF NOT EXISTS WeComReminder_ByHash ON WeComReminder (ServiceId, GrainHash);

CREATE TABLE IF NOT EXISTS WeComMembershipVersion (
    DeploymentId text PRIMARY KEY,
    Version      integer NOT NULL,
    ChangedAt    timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS WeComMembership (
    DeploymentId text NOT NULL,
    Address      varchar(45) NOT NULL,
    Port         integer NOT NULL,
    Generation   integer NOT NULL,
    SiloName     text NOT NULL,
    HostName     text NOT NULL,
    Status       integer NOT NULL,
    ProxyPort    integer NOT NULL,
    SuspectTimes text NULL,
    StartTime    timestamptz NOT NULL,
    IAmAliveTime timestamptz NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

-- Grain storage (Microsoft.Orleans.Persistence.AdoNet). Parameters: @ServiceId, @GrainTypeString
-- (the state name), @GrainIdN0, @GrainIdN1, @GrainIdExtensionString, @GrainStateVersion,
-- @PayloadBinary; @GrainIdHash and @GrainTypeHash are bound too and not needed here.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', $q$
SELECT Payload AS PayloadBinary, Version
FROM WeComGrainState
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtension = COALESCE(CAST(@GrainIdExtensionString AS text), '');
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Inserts version 1 when the grain holds no etag; otherwise moves the row from the grain's
-- version to the next. Anything else returns no row, which the provider reports as a conflict.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', $q$
INSERT INTO WeComGrainState AS s (ServiceId, StateName, GrainIdN0, GrainIdN1, GrainIdExtension, Payload, Version, ModifiedOn)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, COALESCE(CAST(@GrainIdExtensionString AS text), ''),
       @PayloadBinary, 1, now()
WHERE CAST(@GrainStateVersion AS integer) IS NULL
   OR EXISTS (SELECT 1 FROM WeComGrainState
              WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
                AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
                AND GrainIdExtension = COALESCE(CAST(@GrainIdExtensionString AS text), ''))
ON CONFLICT (ServiceId, StateName, GrainIdN0, GrainIdN1, GrainIdExtension) DO UPDATE
SET Payload = EXCLUDED.Payload, Version = s.Version + 1, ModifiedOn = EXCLUDED.ModifiedOn
WHERE s.Version = CAST(@GrainStateVersion AS integer)
RETURNING s.Version AS NewGrainStateVersion;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Clearing keeps the row (without payload) so the etag keeps counting up. Column 0 is the new version.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', $q$
UPDATE WeComGrainState
SET Payload = NULL, Version = Version + 1, ModifiedOn = now()
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtension = COALESCE(CAST(@GrainIdExtensionString AS text), '')
  AND Version = CAST(@GrainStateVersion AS integer)
RETURNING Version;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Used only with DeleteStateOnClear: removes the row; column 0 must differ from the grain's etag.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteStorageKey', $q$
DELETE FROM WeComGrainState
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtension = COALESCE(CAST(@GrainIdExtensionString AS text), '')
  AND Version = CAST(@GrainStateVersion AS integer)
RETURNING Version + 1;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Reminders (Microsoft.Orleans.Reminders.AdoNet). Rows are read by column name: GrainId,
-- ReminderName, StartTime, Period (milliseconds), Version. Hashes arrive as signed integers.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadReminderRowsKey', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM WeComReminder
WHERE ServiceId = @ServiceId AND GrainId = @GrainId;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadReminderRowKey', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM WeComReminder
WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- The provider picks this one when the range does not wrap in signed order (begin < end).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadRangeRows1Key', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM WeComReminder
WHERE ServiceId = @ServiceId AND GrainHash > @BeginHash AND GrainHash <= @EndHash;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadRangeRows2Key', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM WeComReminder
WHERE ServiceId = @ServiceId AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpsertReminderRowKey', $q$
INSERT INTO WeComReminder AS r (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 1)
ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
SET StartTime = EXCLUDED.StartTime, Period = EXCLUDED.Period, GrainHash = EXCLUDED.GrainHash, Version = r.Version + 1
RETURNING r.Version AS Version;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM WeComReminder
    WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName AND Version = @Version
    RETURNING 1
)
SELECT count(*) > 0 FROM deleted;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteReminderRowsKey', $q$
DELETE FROM WeComReminder WHERE ServiceId = @ServiceId;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Membership (Microsoft.Orleans.Clustering.AdoNet). @Version is the table version the silo read;
-- the etag of every row is that table version. A write that changes the table bumps the version
-- row in the same statement, so two silos acting on the same version cannot both succeed.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipVersionKey', $q$
WITH inserted AS (
    INSERT INTO WeComMembershipVersion (DeploymentId, Version, ChangedAt)
    VALUES (@DeploymentId, 0, now())
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1
)
SELECT count(*) > 0 FROM inserted;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Read queries return the version row even without members (StartTime is then NULL).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadAllKey', $q$
SELECT v.Version, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
       m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime
FROM WeComMembershipVersion v
LEFT JOIN WeComMembership m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadRowKey', $q$
SELECT v.Version, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
       m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime
FROM WeComMembershipVersion v
LEFT JOIN WeComMembership m ON m.DeploymentId = v.DeploymentId
    AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE WeComMembershipVersion SET Version = Version + 1, ChangedAt = now()
    WHERE DeploymentId = @DeploymentId AND Version = @Version
      AND NOT EXISTS (SELECT 1 FROM WeComMembership
                      WHERE DeploymentId = @DeploymentId AND Address = @Address
                        AND Port = @Port AND Generation = @Generation)
    RETURNING DeploymentId
), inserted AS (
    INSERT INTO WeComMembership (DeploymentId, Address, Port, Generation, SiloName, HostName, Status,
                                 ProxyPort, SuspectTimes, StartTime, IAmAliveTime)
    SELECT DeploymentId, @Address, @Port, @Generation,
           COALESCE(CAST(@SiloName AS text), ''), COALESCE(CAST(@HostName AS text), ''), @Status,
           @ProxyPort, NULL, @StartTime, @IAmAliveTime
    FROM bumped
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT count(*) > 0 FROM inserted;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateMembershipKey', $q$
WITH bumped AS (
    UPDATE WeComMembershipVersion SET Version = Version + 1, ChangedAt = now()
    WHERE DeploymentId = @DeploymentId AND Version = @Version
    RETURNING DeploymentId
), changed AS (
    UPDATE WeComMembership m
    SET Status = @Status, SuspectTimes = CAST(@SuspectTimes AS text), IAmAliveTime = @IAmAliveTime
    FROM bumped
    WHERE m.DeploymentId = bumped.DeploymentId AND m.Address = @Address
      AND m.Port = @Port AND m.Generation = @Generation
    RETURNING 1
)
SELECT count(*) > 0 FROM changed;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateIAmAlivetimeKey', $q$
UPDATE WeComMembership SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('GatewaysQueryKey', $q$
SELECT Address, ProxyPort, Generation
FROM WeComMembership
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteMembershipTableEntriesKey', $q$
WITH members AS (DELETE FROM WeComMembership WHERE DeploymentId = @DeploymentId)
DELETE FROM WeComMembershipVersion WHERE DeploymentId = @DeploymentId;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

-- Status 6 is Dead. Only dead silos whose last heartbeat precedes the cutoff are removed.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM WeComMembership
WHERE DeploymentId = @DeploymentId AND Status = 6 AND IAmAliveTime < @IAmAliveTime;
$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt)
VALUES ('orleans', 1, now())
ON CONFLICT (Component) DO UPDATE SET Version = EXCLUDED.Version, AppliedAt = EXCLUDED.AppliedAt;
