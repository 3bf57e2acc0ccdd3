-- Component orleans, version 1.
--
-- OrleansWeCom storage schema for SQLite (the embedded run): grain state, reminders and,
-- for completeness, membership, behind Orleans' ADO.NET providers (invariant System.Data.SQLite,
-- which loads Microsoft.Data.Sqlite). Written for this project from the providers' query keys,
-- parameters and result columns. Every statement can run again: tables and indexes are created
-- if missing, triggers are replaced and every OrleansQuery row is upserted.
--
-- Microsoft.Data.Sqlite binds DateTime as TEXT 'yyyy-MM-dd HH:mm:ss.FFFFFFF', so times are TEXT
-- columns and compare in time order. Each query is one statement, or one statement followed by
-- SELECT changes(): a single writing statement takes the write lock before it reads, so its
-- version check and its write cannot be split by another writer.

CREATE TABLE IF NOT EXISTS WeComSchemaVersion (
    Component TEXT NOT NULL PRIMARY KEY,
    Version   INTEGER NOT NULL,
    AppliedAt TEXT NOT NULL
);

-- The providers read their statements from here: SELECT QueryKey, QueryText FROM OrleansQuery.
CREATE TABLE IF NOT EXISTS OrleansQuery (
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

-- Grain state. StateName is what the provider calls the grain type: the state name given in
-- [PersistentState], which is not unique across grain types, so state names must be.
CREATE TABLE IF NOT EXISTS WeComGrainState (
    ServiceId        TEXT NOT NULL,
    StateName        TEXT NOT NULL,
    GrainIdN0        INTEGER NOT NULL,
    GrainIdN1        INTEGER NOT NULL,
    GrainIdExtension TEXT NOT NULL DEFAULT '',
    Payload          BLOB NULL,
    Version          INTEGER NOT NULL,
    ModifiedOn       TEXT NOT NULL,
    PRIMARY KEY (ServiceId, StateName, GrainIdN0, GrainIdN1, GrainIdExtension)
);

CREATE TABLE IF NOT EXISTS WeComReminder (
    ServiceId    TEXT NOT NULL,
    GrainId      TEXT NOT NULL,
    ReminderName TEXT NOT NULL,
    StartTime    TEXT NOT NULL,
    Period       INTEGER NOT NULL,
    GrainHash    INTEGER NOT NULL,
    Version      INTEGER NOT NULL,
    PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

CREATE INDEX IF NOT EXISTS WeComReminder_ByHash ON WeComReminder (ServiceId, GrainHash);

CREATE TABLE IF NOT EXISTS WeComMembershipVersion (
    DeploymentId TEXT NOT NULL PRIMARY KEY,
    Version      INTEGER NOT NULL,
    ChangedAt    TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS WeComMembership (
    DeploymentId TEXT NOT NULL,
    Address      TEXT NOT NULL,
    Port         INTEGER NOT NULL,
    Generation   INTEGER NOT NULL,
    SiloName     TEXT NOT NULL,
    HostName     TEXT NOT NULL,
    Status       INTEGER NOT NULL,
    ProxyPort    INTEGER NOT NULL,
    SuspectTimes TEXT NULL,
    StartTime    TEXT NOT NULL,
    IAmAliveTime TEXT NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

-- A new member, or a member whose status or suspicions change, is a new table version. The
-- triggers bump it inside the writing statement itself; heartbeats (IAmAliveTime only) do not.
DROP TRIGGER IF EXISTS WeComMembership_Inserted;
CREATE TRIGGER WeComMembership_Inserted AFTER INSERT ON WeComMembership
BEGIN
    UPDATE WeComMembershipVersion
    SET Version = Version + 1, ChangedAt = strftime('%Y-%m-%d %H:%M:%f', 'now')
    WHERE DeploymentId = NEW.DeploymentId;
END;

DROP TRIGGER IF EXISTS WeComMembership_Changed;
CREATE TRIGGER WeComMembership_Changed AFTER UPDATE OF Status, SuspectTimes ON WeComMembership
BEGIN
    UPDATE WeComMembershipVersion
    SET Version = Version + 1, ChangedAt = strftime('%Y-%m-%d %H:%M:%f', 'now')
    WHERE DeploymentId = NEW.DeploymentId;
END;

-- Grain storage (Microsoft.Orleans.Persistence.AdoNet). Parameters: @ServiceId, @GrainTypeString
-- (the state name), @GrainIdN0, @GrainIdN1, @GrainIdExtensionString, @GrainStateVersion,
-- @PayloadBinary; @GrainIdHash and @GrainTypeHash are bound too and not needed here.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', '
SELECT Payload AS PayloadBinary, Version
FROM WeComGrainState
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtension = IFNULL(@GrainIdExtensionString, '''');
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Inserts version 1 when the grain holds no etag; otherwise moves the row from the grain's
-- version to the next. Anything else returns no row, which the provider reports as a conflict.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', '
INSERT INTO WeComGrainState (ServiceId, StateName, GrainIdN0, GrainIdN1, GrainIdExtension, Payload, Version, ModifiedOn)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, IFNULL(@GrainIdExtensionString, ''''),
       @PayloadBinary, 1, strftime(''%Y-%m-%d %H:%M:%f'', ''now'')
WHERE @GrainStateVersion IS NULL
   OR EXISTS (SELECT 1 FROM WeComGrainState
              WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
                AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
                AND GrainIdExtension = IFNULL(@GrainIdExtensionString, ''''))
ON CONFLICT (ServiceId, StateName, GrainIdN0, GrainIdN1, GrainIdExtension) DO UPDATE
SET Payload = excluded.Payload, Version = Version + 1, ModifiedOn = excluded.ModifiedOn
WHERE Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Clearing keeps the row (without payload) so the etag keeps counting up. Column 0 is the new version.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', '
UPDATE WeComGrainState
SET Payload = NULL, Version = Version + 1, ModifiedOn = strftime(''%Y-%m-%d %H:%M:%f'', ''now'')
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtension = IFNULL(@GrainIdExtensionString, '''')
  AND Version = @GrainStateVersion
RETURNING Version;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Used only with DeleteStateOnClear: removes the row; column 0 must differ from the grain's etag.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteStorageKey', '
DELETE FROM WeComGrainState
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtension = IFNULL(@GrainIdExtensionString, '''')
  AND Version = @GrainStateVersion
RETURNING Version + 1;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Reminders (Microsoft.Orleans.Reminders.AdoNet). Rows are read by column name: GrainId,
-- ReminderName, StartTime, Period (milliseconds), Version. Hashes arrive as signed integers.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadReminderRowsKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM WeComReminder
WHERE ServiceId = @ServiceId AND GrainId = @GrainId;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadReminderRowKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM WeComReminder
WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- The provider picks this one when the range does not wrap in signed order (begin < end).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadRangeRows1Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM WeComReminder
WHERE ServiceId = @ServiceId AND GrainHash > @BeginHash AND GrainHash <= @EndHash;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadRangeRows2Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM WeComReminder
WHERE ServiceId = @ServiceId AND (GrainHash > @BeginHash OR GrainHash <= @EndHash);
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpsertReminderRowKey', '
INSERT INTO WeComReminder (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 1)
ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
SET StartTime = excluded.StartTime, Period = excluded.Period, GrainHash = excluded.GrainHash, Version = Version + 1
RETURNING Version;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteReminderRowKey', '
DELETE FROM WeComReminder
WHERE ServiceId = @ServiceId AND GrainId = @GrainId AND ReminderName = @ReminderName AND Version = @Version;
SELECT changes() > 0;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteReminderRowsKey', '
DELETE FROM WeComReminder WHERE ServiceId = @ServiceId;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Membership (Microsoft.Orleans.Clustering.AdoNet), should a SQLite file ever back clustering.
-- @Version is the table version the silo read; the etag of every row is that table version.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipVersionKey', '
INSERT INTO WeComMembershipVersion (DeploymentId, Version, ChangedAt)
VALUES (@DeploymentId, 0, strftime(''%Y-%m-%d %H:%M:%f'', ''now''))
ON CONFLICT (DeploymentId) DO NOTHING;
SELECT changes() > 0;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Read queries return the version row even without members (StartTime is then NULL).
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadAllKey', '
SELECT v.Version, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
       m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime
FROM WeComMembershipVersion v
LEFT JOIN WeComMembership m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('MembershipReadRowKey', '
SELECT v.Version, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
       m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime
FROM WeComMembershipVersion v
LEFT JOIN WeComMembership m ON m.DeploymentId = v.DeploymentId
    AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('InsertMembershipKey', '
INSERT INTO WeComMembership (DeploymentId, Address, Port, Generation, SiloName, HostName, Status,
                             ProxyPort, SuspectTimes, StartTime, IAmAliveTime)
SELECT @DeploymentId, @Address, @Port, @Generation, IFNULL(@SiloName, ''''), IFNULL(@HostName, ''''), @Status,
       @ProxyPort, NULL, @StartTime, @IAmAliveTime
WHERE EXISTS (SELECT 1 FROM WeComMembershipVersion WHERE DeploymentId = @DeploymentId AND Version = @Version)
ON CONFLICT DO NOTHING;
SELECT changes() > 0;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateMembershipKey', '
UPDATE WeComMembership
SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation
  AND EXISTS (SELECT 1 FROM WeComMembershipVersion WHERE DeploymentId = @DeploymentId AND Version = @Version);
SELECT changes() > 0;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('UpdateIAmAlivetimeKey', '
UPDATE WeComMembership SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('GatewaysQueryKey', '
SELECT Address, ProxyPort, Generation
FROM WeComMembership
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteMembershipTableEntriesKey', '
DELETE FROM WeComMembership WHERE DeploymentId = @DeploymentId;
DELETE FROM WeComMembershipVersion WHERE DeploymentId = @DeploymentId;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Status 6 is Dead. Only dead silos whose last heartbeat precedes the cutoff are removed.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('CleanupDefunctSiloEntriesKey', '
DELETE FROM WeComMembership
WHERE DeploymentId = @DeploymentId AND Status = 6 AND IAmAliveTime < @IAmAliveTime;
') ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

INSERT INTO WeComSchemaVersion (Component, Version, AppliedAt)
VALUES ('orleans', 1, strftime('%Y-%m-%d %H:%M:%f', 'now'))
ON CONFLICT (Component) DO UPDATE SET Version = excluded.Version, AppliedAt = excluded.AppliedAt;
