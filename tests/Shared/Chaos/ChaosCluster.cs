using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using OrleansWeCom.Emulator;

namespace OrleansWeCom.Testing.Chaos;

/// <summary>What a chaos run does: its size, its faults and its limits.</summary>
public sealed record ChaosOptions
{
    public int Silos { get; init; } = 3;
    public int Accounts { get; init; } = 12;
    public int Corps { get; init; } = 2;
    public int Kills { get; init; } = 3;
    /// <summary>Load between two kills, and how long a killed silo stays down before it is started again.</summary>
    public TimeSpan Between { get; init; } = TimeSpan.FromSeconds(8);
    public TimeSpan Down { get; init; } = TimeSpan.FromSeconds(3);
    public int MinSends { get; init; } = 300;
    public int MinCallbacks { get; init; } = 300;
    /// <summary>Inbound messages the emulator is asked for per second (spread over the accounts).</summary>
    public int CallbacksPerSecond { get; init; } = 20;
    public bool RollingRestart { get; init; } = true;
    /// <summary>The corps' budget (product and emulator alike); the default binds below the accounts' pace.</summary>
    public int CorpBudget { get; init; } = 90;
    public TimeSpan CorpWindow { get; init; } = TimeSpan.FromSeconds(10);
    public double DuplicateRate { get; init; } = 0.02;
    /// <summary>One silo takes every callback while it lives (instead of each callback going to the next silo).</summary>
    public bool StickyCallbacks { get; init; } = true;
    public Action<string> Log { get; init; } = _ => { };
}

/// <summary>
/// The chaos test's world: a fresh PostgreSQL database, the emulator as the one container host, the callback balancer,
/// and the silos as separate host processes. Tenant calls go to any live silo and move on when one dies.
/// </summary>
public sealed partial class ChaosCluster : IAsyncDisposable
{
    public const string TenantId = "chaos";
    public const string UserId = "apps-1";
    private const string ApiKey = "chaos-tenant-key-0123456789";
    private const string AdminKey = "chaos-admin-key-0123456789";
    private const string HostToken = "chaos-host-token-0123";

    private readonly string _server;
    private readonly string _database = "wecom_chaos_" + Guid.NewGuid().ToString("N")[..12];
    private readonly HttpClient _api = new() { Timeout = TimeSpan.FromSeconds(15) };
    private int _nextSilo;
    private string _apiKey = ApiKey;

    private ChaosCluster(ChaosOptions options, string server)
    {
        Options = options;
        _server = server;
    }

    public ChaosOptions Options { get; }
    public EmulatorHost Emulator { get; private set; } = null!;
    public HttpClient World { get; private set; } = null!;
    public CallbackBalancer Balancer { get; private set; } = null!;
    public List<SiloProcess> Silos { get; } = [];
    public string ConnectionString => new NpgsqlConnectionStringBuilder(_server) { Database = _database, Pooling = false }.ConnectionString;

    public static async Task<ChaosCluster> StartAsync(ChaosOptions options, string server)
    {
        var cluster = new ChaosCluster(options, server);
        try
        {
            await cluster.StartCoreAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync()
    {
        await AdminSqlAsync($"CREATE DATABASE {_database}");
        var emulator = new EmulatorOptions { Capacity = Options.Accounts * 2 };
        emulator.World.Corps = Options.Corps;
        emulator.World.AccountsPerCorp = (Options.Accounts + Options.Corps - 1) / Options.Corps;
        emulator.World.ContactsPerAccount = 2;
        emulator.World.CustomersPerCorp = 20;
        emulator.Limits.CorpSendsPerWindow = Options.CorpBudget;
        emulator.Limits.CorpWindow = Options.CorpWindow;
        // The host keeps retrying while no silo answers: a callback it gave up on would be lost by the host, not by us.
        emulator.Callbacks.RetryCount = 100_000;
        emulator.Callbacks.MaxRetryDelay = TimeSpan.FromSeconds(1);
        Emulator = await EmulatorHost.StartAsync(emulator, "http://127.0.0.1:0");
        World = new HttpClient { BaseAddress = Emulator.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

        var shared = new Dictionary<string, string>
        {
            ["Storage:Provider"] = "PostgreSql",
            ["Storage:ConnectionString"] = new NpgsqlConnectionStringBuilder(_server) { Database = _database, Pooling = true }.ConnectionString,
            ["Storage:ApplySchema"] = "true",
            ["Storage:MaxPoolSize"] = "40",
            ["Orleans:ClusterId"] = _database,
            ["Orleans:ServiceId"] = _database,
            ["Orleans:ShutdownTimeout"] = "00:00:05",
            // A crashed silo is declared dead in a few seconds: probes of 2 s, two missed.
            ["Orleans:Membership:ProbeTimeout"] = "00:00:02",
            ["Orleans:Membership:NumMissedProbesLimit"] = "2",
            ["Orleans:Membership:TableRefreshTimeout"] = "00:00:02",
            ["Orleans:Membership:IAmAliveTablePublishTimeout"] = "00:00:05",
            ["Emulator:Enabled"] = "false",
            ["Demo:Enabled"] = "false",
            ["Gateway:AdminApiKey"] = AdminKey,
            ["ContainerHosts:Hosts:0:Name"] = "emu",
            ["ContainerHosts:Hosts:0:BaseUrl"] = Emulator.BaseAddress.ToString().TrimEnd('/'),
            ["ContainerHosts:Hosts:0:ApiKey"] = "chaos",
            ["ContainerHosts:Hosts:0:Capacity"] = (Options.Accounts * 2).ToString(),
            ["Callbacks:HostTokens:emu"] = HostToken,
            ["Conversations:FlushInterval"] = "00:00:02",
            ["WeCom:Limits:CorpSendsPerWindow"] = Options.CorpBudget.ToString(),
            ["WeCom:Limits:CorpWindow"] = Options.CorpWindow.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        for (var i = 0; i < Options.Silos; i++) Silos.Add(new SiloProcess(i, shared));
        Balancer = await CallbackBalancer.StartAsync(Silos);
        Balancer.Sticky = Options.StickyCallbacks;
        Emulator.SetCallbacks(new Uri(Balancer.BaseAddress, $"/callbacks/emu?token={HostToken}").ToString(), Options.DuplicateRate);

        await Task.WhenAll(Silos.Select(s => s.StartAsync(TimeSpan.FromSeconds(120))));
        await ActiveSilosAsync(Options.Silos, TimeSpan.FromSeconds(60));
        await AdminAsync("/admin/tenants", new { id = TenantId, name = "Chaos tenant" });
        await AdminAsync($"/admin/tenants/{TenantId}/users", new { userId = UserId, username = "chaos user", isAdmin = true });
        var issued = await AdminAsync($"/admin/tenants/{TenantId}/apikeys", new { apiKey = ApiKey });
        _apiKey = issued.GetProperty("data").GetProperty("apiKey").GetString()!;
    }

    /// <summary>
    /// A call of the tenant API on the next live silo; on a broken connection, a timeout or a 5xx the next silo is tried,
    /// until <paramref name="patience"/> runs out. Sends carry an Idempotency-Key, so a retry never doubles one.
    /// </summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> TenantAsync(HttpMethod method, string path, object? body = null,
        string? idempotencyKey = null, TimeSpan? patience = null, string? apiKey = null)
    {
        apiKey ??= _apiKey;
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(60));
        Exception? last = null;
        while (true)
        {
            var live = Silos.Where(s => s.Up).ToList();
            if (live.Count > 0)
            {
                var silo = live[(int)((uint)Interlocked.Increment(ref _nextSilo) % live.Count)];
                try
                {
                    using var request = new HttpRequestMessage(method, new Uri(silo.BaseAddress, path));
                    request.Headers.Add("apikey", apiKey);
                    if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
                    if (body is not null) request.Content = JsonContent.Create(body);
                    using var response = await _api.SendAsync(request);
                    var text = await response.Content.ReadAsStringAsync();
                    if ((int)response.StatusCode < 500)
                        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
                    last = new HttpRequestException($"{method} {path} on silo {silo.Index}: {(int)response.StatusCode} {text}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    last = e;
                }
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{method} {path}: no live silo answered in time", last);
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the membership table holds <paramref name="count"/> active silos of this cluster.</summary>
    public async Task ActiveSilosAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        long active = 0;
        while (DateTime.UtcNow < deadline)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT count(*) FROM WeComMembership WHERE DeploymentId = @d AND Status = 3", connection);
            command.Parameters.AddWithValue("d", _database);
            active = (long)(await command.ExecuteScalarAsync())!;
            if (active == count) return;
            await Task.Delay(250);
        }

        throw new TimeoutException($"{active} active silos in the membership table, not {count}");
    }

    /// <summary>Accepted sends the outbox has not settled yet (sent, failed or unknown).</summary>
    public async Task<long> OpenSendsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM wecom_outbox WHERE settled_at IS NULL", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<JsonElement> AdminAsync(string path, object body)
    {
        var (status, answer) = await TenantAsync(HttpMethod.Post, path, body, apiKey: AdminKey);
        return status == HttpStatusCode.OK ? answer : throw new InvalidOperationException($"POST {path}: {(int)status} {answer}");
    }

    private async Task AdminSqlAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_server) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos) await silo.DisposeAsync();
        if (Balancer is not null) await Balancer.DisposeAsync();
        if (Emulator is not null) await Emulator.DisposeAsync();
        World?.Dispose();
        _api.Dispose();
        try
        {
            await AdminSqlAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        }
        catch (NpgsqlException)
        {
        }
    }
}
