using System.Text.Json;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace OrleansWeCom.Grains.Directory;

[GenerateSerializer]
public sealed class DirectoryState
{
    /// <summary>Files the account received (the host's path), with their host and when they came.</summary>
    [Id(0)] public Dictionary<string, ReceivedFile> Media { get; set; } = [];
}

[GenerateSerializer]
public sealed record ReceivedFile([property: Id(0)] string HostKey, [property: Id(1)] long At);

/// <summary>
/// One account's directory: the host's contacts, rooms, labels and id conversions, kept in memory (bounded) with a
/// refresh policy, dropped when a callback or a command of ours changes them; and the files the account received, so
/// that its tenant can download them through us. Reentrant: reads of different keys wait on the host side by side, and
/// the same key is fetched once for all who ask. Apart from the account grain, whose send turn never waits on it; the
/// account grain is asked only for its binding, an interleaved read.
/// </summary>
[Reentrant]
public sealed partial class AccountDirectoryGrain(
    [PersistentState("directory", StorageNames.Grains)] IPersistentState<DirectoryState> state,
    IContainerHostDirectory hosts,
    IOptions<DirectoryOptions> options,
    TimeProvider time,
    ILogger<AccountDirectoryGrain> logger) : Grain, IAccountDirectoryGrain
{
    private readonly DirectoryOptions _options = options.Value;
    private readonly DirectoryCache _cache = new(options.Value, time);
    private readonly RollingQuota _idConversions = new(options.Value.IdConversionsPerWindow, options.Value.IdConversionWindow, time);
    private readonly Dictionary<string, Task<string?>> _loading = new(StringComparer.Ordinal);
    private bool _dirty;
    private bool _writing;

    private string WxId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions { DueTime = _options.FlushInterval, Period = _options.FlushInterval, Interleave = true });
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    public async Task<string?> CallAsync(TenantId tenant, HostCall call)
    {
        var hostKey = (await OnlineAsync(tenant)).HostKey;
        if (call.CacheKey is not { } key || call.Keep == DirectoryKeep.None) return await CallHostAsync(hostKey, call);
        if (_cache.TryGet(key, out var kept)) return kept;
        if (_loading.TryGetValue(key, out var pending)) return await pending;

        var load = LoadAsync(hostKey, call, key);
        _loading[key] = load;
        try
        {
            return await load;
        }
        finally
        {
            if (_loading.TryGetValue(key, out var current) && current == load) _loading.Remove(key);
        }
    }

    private async Task<string?> LoadAsync(string hostKey, HostCall call, string key)
    {
        var generation = _cache.Generation;
        var data = await CallHostAsync(hostKey, call);
        // An answer fetched while something changed may predate the change; an unknown id may become known.
        if (_cache.Generation == generation && !(call.Keep == DirectoryKeep.Forever && IsEmpty(data))) _cache.Put(key, data, call.Keep);
        return data;
    }

    private async Task<string?> CallHostAsync(string hostKey, HostCall call)
    {
        if (call.CountsAsIdConversion && !_idConversions.TryTake(out var retryAfter))
            throw new WeComException(ErrorCodes.QueueFull,
                $"account {WxId} reached its {_options.IdConversionsPerWindow} id conversions per {_options.IdConversionWindow}; retry in {Math.Ceiling(retryAfter.TotalSeconds)} s or use the …FromDb variant");
        var data = await hosts.CallAsync(hostKey, call, CancellationToken.None);
        foreach (var prefix in call.Invalidates ?? []) _cache.Invalidate(prefix);
        return data;
    }

    public Task ObserveAsync(DirectoryChange change)
    {
        switch (change.Kind)
        {
            case DirectoryChangeKind.ContactAdded:
                _cache.Invalidate(DirectoryKeys.Contacts);
                _cache.Invalidate(DirectoryKeys.Relations);
                break;
            case DirectoryChangeKind.RoomChanged:
                _cache.Invalidate(DirectoryKeys.Rooms);
                if (change.Key is { Length: > 0 } room) _cache.Invalidate(DirectoryKeys.Members + room);
                break;
            case DirectoryChangeKind.MediaReceived when change is { Key: { Length: > 0 } path, HostKey: { Length: > 0 } hostKey }:
                Remember(path, hostKey, change.Timestamp);
                break;
        }

        return Task.CompletedTask;
    }

    public async Task<MediaRef?> FindMediaAsync(TenantId tenant, string path)
    {
        var binding = await GrainFactory.GetGrain<IAccountGrain>(WxId).GetBindingAsync();
        if (binding is null || binding.Tenant != tenant) return null;
        if (!state.State.Media.TryGetValue(path, out var file)) return null;
        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(file.At);
        return age > _options.MediaRetention ? null : new MediaRef(file.HostKey, path);
    }

    public async Task<string> GetOnlineHostAsync(TenantId tenant) => (await OnlineAsync(tenant)).HostKey;

    private async Task<AccountBinding> OnlineAsync(TenantId tenant)
    {
        var binding = await GrainFactory.GetGrain<IAccountGrain>(WxId).GetBindingAsync();
        if (binding is null || binding.Tenant != tenant) throw WeComException.NotFound($"account {WxId} not found");
        if (binding.Status != ContainerStatus.Online)
            throw WeComException.InvalidState($"account {WxId} is not online (status {(int)binding.Status} {binding.Status}); log it in first");
        return binding;
    }

    private void Remember(string path, string hostKey, long at)
    {
        var media = state.State.Media;
        media[path] = new ReceivedFile(hostKey, at);
        _dirty = true;
        if (media.Count <= _options.MaxMediaFiles) return;
        // Forget the oldest tenth at once, so that a full list is not sorted on every file.
        var keep = Math.Max(1, _options.MaxMediaFiles * 9 / 10);
        foreach (var old in media.OrderBy(m => m.Value.At).Take(media.Count - keep).Select(m => m.Key).ToList()) media.Remove(old);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!_dirty || _writing) return;
        _writing = true;
        _dirty = false;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch (Exception e)
        {
            _dirty = true;
            LogFlushFailed(logger, e, WxId);
        }
        finally
        {
            _writing = false;
        }
    }

    /// <summary>An id conversion that found nothing: no string in it has a value.</summary>
    private static bool IsEmpty(string? json)
    {
        if (json is null) return true;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind switch
        {
            JsonValueKind.String => document.RootElement.GetString() is not { Length: > 0 },
            JsonValueKind.Object => document.RootElement.EnumerateObject().All(p => p.Value.ValueKind != JsonValueKind.String || p.Value.GetString() is not { Length: > 0 }),
            _ => false,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Directory of {WxId}: writing the received files failed; retried at the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception e, string wxId);
}
