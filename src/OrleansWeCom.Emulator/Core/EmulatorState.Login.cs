using System.Globalization;
using System.Text.Json.Nodes;
using OrleansWeCom.Emulator.Api;

namespace OrleansWeCom.Emulator.Core;

/// <summary>Container life cycle and the QR login flow of the seed.</summary>
/// <remarks>Over 400 lines and not split: it walks the seed's whole login sequence (QR states, verify code, safe_validate, offline), one sequence best read in one place.</remarks>
internal sealed partial class EmulatorState
{
    private static readonly byte[] QrImage = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    public JsonObject Create(string userId)
    {
        lock (_gate)
        {
            if (_containers.Values.Count(c => c.Status != ContainerStatus.LoggedOut) >= Options.Capacity)
            {
                throw ApiException.Conflict($"the host is full: {Options.Capacity} containers");
            }

            World.EnsureHostUser(userId, Now);
            string hostname;
            do
            {
                hostname = string.Concat(Enumerable.Range(0, 12).Select(_ => "0123456789abcdef"[_hostnames.Next(16)]));
            }
            while (_containers.ContainsKey(hostname));

            var container = new Container(hostname, userId, Now, _hostnames.Next(2000, 60000), Options.SentLogCapacity);
            _containers[hostname] = container;
            IssueQrCode(container);
            PostQrStatus(container, QrStatus.Never, null);
            if (Faults.ScanOnCreate)
            {
                ScanLocked(container, requireVerify: false, null, null);
            }

            return new JsonObject
            {
                ["qrcode"] = container.QrPath,
                ["hostname"] = hostname,
                ["version"] = "1.3.0.13",
                ["createtime"] = Format(container.CreateTime),
                ["wxPid"] = container.WxPid,
            };
        }
    }

    /// <summary>The phone scans the pending QR code.</summary>
    public JsonObject Scan(string hostname, bool requireVerify, string? wxId, string? corpId)
    {
        lock (_gate)
        {
            var container = ContainerOf(hostname);
            if (!container.AwaitingScan)
            {
                throw ApiException.Conflict($"container '{container.Hostname}' has no QR code awaiting a scan (Status {(int)container.Status})");
            }

            return ScanLocked(container, requireVerify, wxId, corpId);
        }
    }

    /// <summary>The scan itself; the caller holds the state's lock.</summary>
    private JsonObject ScanLocked(Container container, bool requireVerify, string? wxId, string? corpId)
    {
        var account = ChooseAccount(container, wxId, corpId);
        container.Scanned = true;
        container.PendingAccount = account;
        PostQrStatus(container, QrStatus.Scanning, account);
        if (requireVerify)
        {
            container.VerifyCode = World.NewVerifyCode();
            PostQrStatus(container, QrStatus.RequireVerify, account);
        }
        else
        {
            CompleteLogin(container);
        }

        return new JsonObject { ["wxId"] = account.UserId, ["corpId"] = account.CorpId };
    }

    public JsonObject VerifyCode(string hostname)
    {
        lock (_gate)
        {
            var container = ContainerOf(hostname);
            return container.AwaitingVerify
                ? new JsonObject { ["key"] = container.QrKey, ["code"] = container.VerifyCode }
                : throw ApiException.Conflict($"container '{container.Hostname}' is not waiting for a verify code");
        }
    }

    /// <summary><c>POST /container/verify</c>: a wrong key or code answers errcode below 0 and the container keeps waiting.</summary>
    public JsonObject Verify(string hostname, string key, string code)
    {
        lock (_gate)
        {
            var container = ContainerOf(hostname);
            if (!container.AwaitingVerify)
            {
                throw ApiException.Conflict($"container '{container.Hostname}' is not waiting for a verify code");
            }

            if (!string.Equals(key, container.QrKey, StringComparison.OrdinalIgnoreCase))
            {
                return new JsonObject { ["errcode"] = -2, ["errmsg"] = "qrcode key does not match the pending login" };
            }

            if (code != container.VerifyCode)
            {
                return new JsonObject { ["errcode"] = -1, ["errmsg"] = "verify code is wrong" };
            }

            CompleteLogin(container);
            return new JsonObject { ["errcode"] = 0, ["errmsg"] = "ok" };
        }
    }

    /// <summary>Stop keeps the login and the cache; no callback, the caller asked for it.</summary>
    public void Stop(IReadOnlyList<string> hostnames) => ForEach(hostnames, container =>
    {
        switch (container.Status)
        {
            case ContainerStatus.LoggedOut:
                throw ApiException.Conflict($"container '{container.Hostname}' was removed");
            case ContainerStatus.Online:
                container.Status = ContainerStatus.Offline;
                break;
        }
    });

    /// <summary>Start brings a stopped container back online without a scan, announcing it with user_login.</summary>
    public void Start(IReadOnlyList<string> hostnames) => ForEach(hostnames, container =>
    {
        switch (container.Status)
        {
            case ContainerStatus.Online:
                return;
            case ContainerStatus.Offline when container.Account is not null:
                container.Status = ContainerStatus.Online;
                Post(container, "user_login", UserLoginData(container.Account));
                return;
            default:
                throw ApiException.Conflict($"container '{container.Hostname}' cannot start from Status {(int)container.Status}; create a new one and scan");
        }
    });

    /// <summary>Remove drops the login: the account is free again and the container cannot start.</summary>
    public void Remove(IReadOnlyList<string> hostnames) => ForEach(hostnames, container =>
    {
        Unbind(container);
        container.Status = ContainerStatus.LoggedOut;
        container.QrTimer?.Dispose();
        container.QrTimer = null;
        container.VerifyCode = null;
        container.PendingAccount = null;
    });

    /// <summary>Restart is a stop then a start: the account comes back online with a user_login callback.</summary>
    public void Restart(IReadOnlyList<string> hostnames) => ForEach(hostnames, container =>
    {
        switch (container.Status)
        {
            case ContainerStatus.Online or ContainerStatus.Offline when container.Account is not null:
                container.Status = ContainerStatus.Online;
                Post(container, "user_login", UserLoginData(container.Account));
                break;
            case ContainerStatus.LoggingIn or ContainerStatus.Rescan:
                IssueQrCode(container);
                container.Status = ContainerStatus.LoggingIn;
                PostQrStatus(container, QrStatus.Never, null);
                break;
            default:
                throw ApiException.Conflict($"container '{container.Hostname}' cannot restart from Status {(int)container.Status}");
        }
    });

    /// <summary>The account drops off (kicked, logged in elsewhere, crashed): user_offline, then the given Status.</summary>
    public void Offline(string hostname, int status)
    {
        lock (_gate)
        {
            var container = ContainerOf(hostname);
            if (container.Status != ContainerStatus.Online)
            {
                throw ApiException.Conflict($"container '{container.Hostname}' is not online");
            }

            if (status is not (1 or 2 or 4 or 5))
            {
                throw ApiException.BadRequest("status must be 1, 2, 4 or 5");
            }

            Post(container, "user_offline", null);
            if (status == (int)ContainerStatus.LoggedOut)
            {
                Unbind(container);
            }

            container.Status = (ContainerStatus)status;
            if (container.Status == ContainerStatus.Rescan)
            {
                // A fresh code re-uses the cache: a scan binds the same account again.
                IssueQrCode(container);
            }
        }
    }

    public JsonObject SafeValidate(string hostname)
    {
        lock (_gate)
        {
            var container = ContainerOf(hostname);
            if (container.Status != ContainerStatus.Online)
            {
                throw ApiException.Conflict($"container '{container.Hostname}' is not online");
            }

            var path = Files.SaveBytes(Guid.NewGuid().ToString("N") + ".jpg", QrImage);
            var data = new JsonObject { ["Qrcode"] = path, ["UserName"] = container.Account!.Name };
            Post(container, "safe_validate", data);
            return data;
        }
    }

    public JsonArray WxList(string? userId, bool onlineOnly, IReadOnlyList<string> hostnames)
    {
        lock (_gate)
        {
            var rows = _containers.Values
                .Where(c => userId is null || c.UserId == userId)
                .Where(c => !onlineOnly || c.Status == ContainerStatus.Online)
                .Where(c => hostnames.Count == 0 || hostnames.Contains(c.Hostname, StringComparer.OrdinalIgnoreCase))
                .OrderBy(c => c.CreateTime);
            return Envelope.Array(rows, c =>
            {
                var a = c.Account;
                var corp = a is null ? null : World.CorpOf(a);
                return new JsonObject
                {
                    ["hostname"] = c.Hostname,
                    ["wxId"] = a?.UserId ?? "",
                    ["userId"] = c.UserId,
                    ["username"] = a?.Name ?? "",
                    ["nickname"] = a?.Nickname ?? "",
                    ["avatar"] = a?.Avatar ?? "",
                    ["corp_id"] = a?.CorpId ?? "",
                    ["corp_name"] = corp?.Name ?? "",
                    ["mobile"] = a?.Mobile ?? "",
                    ["position"] = a?.Position ?? "",
                    ["corp_short_name"] = corp?.ShortName ?? "",
                    ["job_name"] = a?.JobName ?? "",
                    ["account"] = a?.Account ?? "",
                    ["acctid"] = a?.Acctid ?? "",
                    ["Status"] = (int)c.Status,
                    ["QrCode"] = c.Status == ContainerStatus.Rescan ? c.QrPath : null,
                };
            });
        }
    }

    public JsonArray Memory()
    {
        lock (_gate)
        {
            return Envelope.Array(_containers.Values.Where(c => c.Status == ContainerStatus.Online), c => new JsonObject
            {
                ["WxId"] = c.Account!.UserId,
                ["UserName"] = c.Account.Name,
                ["HostName"] = c.Hostname,
                ["WxPid"] = c.WxPid,
                // Deterministic per container, in the range the seed shows (KB).
                ["Memory"] = 120_000 + (Math.Abs(c.Hostname.GetHashCode(StringComparison.Ordinal)) % 40_000) + c.Sent().Length / 100,
            });
        }
    }

    private void ForEach(IReadOnlyList<string> hostnames, Action<Container> action)
    {
        lock (_gate)
        {
            // All or nothing for unknown names, so a typo does not half-apply a batch.
            var containers = hostnames.Select(ContainerOf).ToList();
            foreach (var container in containers)
            {
                action(container);
            }
        }
    }

    private Person ChooseAccount(Container container, string? wxId, string? corpId)
    {
        if (container.Account is { } cached && container.Status == ContainerStatus.Rescan)
        {
            if (wxId is not null && wxId != cached.UserId)
            {
                throw ApiException.Conflict($"container '{container.Hostname}' holds the cache of wxId '{cached.UserId}'");
            }

            return cached;
        }

        if (wxId is not null)
        {
            var account = World.FindAccount(wxId) ?? throw ApiException.NotFound($"no account '{wxId}' in the world");
            return BoundContainer(account.UserId) is { } other && other != container
                ? throw ApiException.Conflict($"account '{wxId}' is logged in with container '{other.Hostname}'")
                : account;
        }

        if (corpId is not null && !World.CorpsById.ContainsKey(corpId))
        {
            throw ApiException.NotFound($"no corp '{corpId}' in the world");
        }

        return World.Accounts.FirstOrDefault(a => (corpId is null || a.CorpId == corpId) && BoundContainer(a.UserId) is null)
            ?? throw ApiException.Conflict("every account of the world is already logged in; grow Emulator:World");
    }

    private void CompleteLogin(Container container)
    {
        var account = container.PendingAccount!;
        container.VerifyCode = null;
        container.PendingAccount = null;
        container.QrTimer?.Dispose();
        container.QrTimer = null;
        container.Account = account;
        _byWxId[account.UserId] = container;
        PostQrStatus(container, QrStatus.Success, account);
        container.Status = ContainerStatus.Online;
        Post(container, "user_login", UserLoginData(account));
    }

    private void IssueQrCode(Container container)
    {
        container.QrTimer?.Dispose();
        container.QrKey = World.Hex(32).ToUpperInvariant();
        container.QrPath = Files.SaveBytes(Guid.NewGuid().ToString() + ".jpg", QrImage);
        container.Scanned = false;
        container.VerifyCode = null;
        container.PendingAccount = null;
        var generation = ++container.QrGeneration;
        container.QrTimer = Time.CreateTimer(_ => Expire(container, generation), null, TimeSpan.FromSeconds(Options.KeepSec), Timeout.InfiniteTimeSpan);
    }

    /// <summary>An unused code expires after keep_sec: Status 4 with a fresh code, announced as a failed login.</summary>
    private void Expire(Container container, int generation)
    {
        lock (_gate)
        {
            if (generation != container.QrGeneration || container.Status is not (ContainerStatus.LoggingIn or ContainerStatus.Rescan))
            {
                return;
            }

            var pending = container.PendingAccount;
            IssueQrCode(container);
            container.Status = ContainerStatus.Rescan;
            PostQrStatus(container, QrStatus.Fail, pending);
        }
    }

    private void PostQrStatus(Container container, int status, Person? account)
    {
        var corp = account is null ? null : World.CorpOf(account);
        Post(container, "qrcode_status_msg", new JsonObject
        {
            ["auth_deviceid"] = container.Hostname.PadLeft(16, '0')[^16..],
            ["corpid"] = account?.CorpId ?? "",
            ["gid"] = account is null ? "" : "22518" + account.UserId[^11..],
            ["icon_url"] = corp is null ? "" : $"https://wework.qpic.cn/wwpic/{corp.OpenCorpId}/0",
            ["is_bind_wx"] = account is not null,
            ["keep_sec"] = Options.KeepSec,
            ["lang_type"] = 1,
            ["logo"] = account?.Avatar ?? "",
            ["nick_name"] = account?.Name ?? "",
            ["qrcode_key"] = container.QrKey,
            ["status"] = status,
            ["vid"] = account?.UserId ?? "",
        });
    }

    private static JsonObject UserLoginData(Person account) => new()
    {
        ["account"] = account.Account,
        ["acctid"] = account.Acctid,
        ["avatar"] = account.Avatar,
        ["corp_id"] = account.CorpId,
        ["document_root"] = "C:\\Users\\ContainerAdministrator\\Documents\\WXWork\\" + account.UserId,
        ["email"] = account.Email,
        ["job_name"] = account.JobName,
        ["mobile"] = account.Mobile,
        ["nickname"] = account.Nickname,
        ["pid"] = account.Pid,
        ["position"] = account.Position,
        ["sex"] = account.Sex,
        ["user_id"] = account.UserId,
        ["username"] = account.Name,
    };

    public JsonArray SentLog(string hostname)
    {
        lock (_gate)
        {
            return Envelope.Array(ContainerOf(hostname).Sent(), e => new JsonObject
            {
                ["msgId"] = e.MsgId,
                ["type"] = e.Type,
                ["wxId"] = e.WxId,
                ["conversationId"] = e.ConversationId,
                ["receivedAt"] = e.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["errorCode"] = e.ErrorCode,
                ["serverId"] = e.ServerId,
                ["content"] = e.Content,
            });
        }
    }
}
