namespace OrleansWeCom.Tests.TenantApi;

/// <summary>
/// The tenant-API tests over the embedded emulator that can share one host: each test takes tenants of its own
/// (<see cref="SharedDirectoryHost.Tenants"/>) and logs in accounts of its own, so they see nothing of each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EmulatorHostCollection : ICollectionFixture<SharedDirectoryHost>
{
    public const string Name = "embedded emulator host";
}

/// <summary>One <see cref="DirectoryTestHost"/> for the collection, with enough contacts per account for a room of 40.</summary>
public sealed class SharedDirectoryHost : IAsyncLifetime
{
    /// <summary>The room test needs more than 41 customers per account; the download test a limit between its two files.</summary>
    public static readonly Dictionary<string, string?> Settings = new()
    {
        ["Emulator:World:ContactsPerAccount"] = "45",
        ["Files:MaxDownloadBytes"] = "300000",
    };

    private int _tenants;

    public DirectoryTestHost Host { get; private set; } = null!;

    /// <summary>Two tenant names no other test of the collection uses.</summary>
    public (string Mine, string Other) Tenants()
    {
        var n = Interlocked.Increment(ref _tenants);
        return ($"t{n}-a", $"t{n}-b");
    }

    public async Task InitializeAsync() => Host = await DirectoryTestHost.StartAsync(Settings);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
