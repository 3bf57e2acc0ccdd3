namespace OrleansWeCom;

/// <summary>One parameter of a host call, under the seed's name.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.HostParam")]
public sealed record HostParam([property: Id(0)] string Name, [property: Id(1)] string Value);

/// <summary>How an account's directory keeps the answer to a read.</summary>
public enum DirectoryKeep
{
    /// <summary>Not kept: every call asks the host (searches, commands).</summary>
    None,

    /// <summary>Kept until the refresh interval passes or a change to it is seen (lists, profiles, labels).</summary>
    Refresh,

    /// <summary>Kept while memory allows: an id conversion never changes. Empty answers are not kept.</summary>
    Forever,
}

/// <summary>
/// A call of the seed's host openAPI for one account: method, path, query (GET) or JSON body (the rest) already in the
/// seed's names, how its answer is kept (<see cref="CacheKey"/>, <see cref="Keep"/>) and which kept answers it makes
/// stale once it succeeds (prefixes of keys).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.HostCall")]
public sealed record HostCall(
    [property: Id(0)] string Method,
    [property: Id(1)] string Path,
    [property: Id(2)] IReadOnlyList<HostParam> Query,
    [property: Id(3)] string? BodyJson,
    [property: Id(4)] string? CacheKey = null,
    [property: Id(5)] DirectoryKeep Keep = DirectoryKeep.None,
    [property: Id(6)] IReadOnlyList<string>? Invalidates = null,
    [property: Id(7)] bool CountsAsIdConversion = false);

/// <summary>What a callback tells an account's directory.</summary>
public enum DirectoryChangeKind { ContactAdded, RoomChanged, MediaReceived }

[GenerateSerializer, Immutable, Alias("OrleansWeCom.DirectoryChange")]
public sealed record DirectoryChange(
    [property: Id(0)] DirectoryChangeKind Kind,
    [property: Id(1)] string? Key,
    [property: Id(2)] long Timestamp,
    [property: Id(3)] string? HostKey = null);

/// <summary>A file an account received, with the host it lies on.</summary>
[GenerateSerializer, Immutable, Alias("OrleansWeCom.MediaRef")]
public sealed record MediaRef([property: Id(0)] string HostKey, [property: Id(1)] string Path);

/// <summary>
/// One account's view of its host's directory (keyed by wxId): contacts, rooms, labels and id conversions, kept with a
/// refresh policy and made stale by the callbacks that change them, and the media files the account received. Apart
/// from the account grain, so that no host call of the directory ever waits in, or holds up, a send's turn.
/// </summary>
[Alias("OrleansWeCom.IAccountDirectoryGrain")]
public interface IAccountDirectoryGrain : IGrainWithStringKey
{
    /// <summary>
    /// Runs <paramref name="call"/> for <paramref name="tenant"/>: not found unless the account is the tenant's, the wrong
    /// state unless it is online. Returns the host's <c>data</c> as JSON text (null for <c>data: null</c>).
    /// </summary>
    [Alias("Call")] Task<string?> CallAsync(TenantId tenant, HostCall call);

    /// <summary>A callback changed something the directory keeps, or brought a file.</summary>
    [OneWay, Alias("Observe")] Task ObserveAsync(DirectoryChange change);

    /// <summary>The file at <paramref name="path"/> if this account of <paramref name="tenant"/> received it; null otherwise.</summary>
    [AlwaysInterleave, Alias("FindMedia")] Task<MediaRef?> FindMediaAsync(TenantId tenant, string path);

    /// <summary>The host of the account when it is <paramref name="tenant"/>'s and online (for uploads); throws otherwise.</summary>
    [AlwaysInterleave, Alias("OnlineHost")] Task<string> GetOnlineHostAsync(TenantId tenant);
}

/// <summary>The host's directory calls and its files, in the seed's JSON.</summary>
public interface IContainerHostDirectory
{
    /// <summary>Calls the host; returns <c>data</c> as JSON text, null when it is null. Host refusals throw <see cref="WeComException"/>.</summary>
    Task<string?> CallAsync(string hostKey, HostCall call, CancellationToken cancellationToken);

    /// <summary>Hands a file to the host (<c>file/upload</c>); returns the host's path for a send's <c>fileUrl</c>.</summary>
    Task<string> UploadAsync(string hostKey, Stream content, string fileName, string contentType, CancellationToken cancellationToken);

    /// <summary>A file the host serves under <c>/gnapi/files/…</c>, as a stream with its type and length when the host states it.</summary>
    Task<HostFile> DownloadFileAsync(string hostKey, string path, CancellationToken cancellationToken);
}

/// <summary>A file streamed from a host; disposing it ends the download.</summary>
public sealed record HostFile(Stream Content, string ContentType, long? Length) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

/// <summary>The key prefixes of what a directory keeps; the gateway's routes and the callbacks name the same ones.</summary>
public static class DirectoryKeys
{
    public const string Contacts = "contacts/";
    public const string Relations = "relation/";
    public const string Rooms = "rooms";
    public const string Members = "members/";
    public const string Labels = "labels/";
    public const string Ids = "id/";
}
