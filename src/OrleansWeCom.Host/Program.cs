using OrleansWeCom;
using System.Data.Common;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime;
using OrleansWeCom.ContainerHost;
using OrleansWeCom.Emulator;
using OrleansWeCom.Gateway;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Callbacks;
using OrleansWeCom.Gateway.Mqtt;
using OrleansWeCom.Gateway.Webhooks;
using OrleansWeCom.Grains.Callbacks;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Grains.Lifecycle;
using OrleansWeCom.Grains.Sending;
using OrleansWeCom.Host.Hosting;
using OrleansWeCom.Host.Storage;

// `--no-emulator` is a bare flag; the configuration system wants key=value.
var noEmulator = args.Contains("--no-emulator");
args = args.Where(a => a != "--no-emulator").ToArray();
// Configuration files are read once: a reload watcher on the content root would also wake on every SQLite write
// (the embedded database lives below it) and cost a measurable share of a busy silo's CPU. Operators restart to reconfigure.
args = ["--hostBuilder:reloadConfigOnChange=false", .. args];

var builder = WebApplication.CreateBuilder(args);
var config = builder.Configuration;
if (noEmulator) config["Emulator:Enabled"] = "false";
if (string.IsNullOrEmpty(config["urls"]) && string.IsNullOrEmpty(config["ASPNETCORE_URLS"]) && string.IsNullOrEmpty(config["URLS"]))
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
// At Information these categories write lines for every request, host call and grain placement: a dozen per request, tens
// of thousands a second on a busy silo. They stay at Warning unless configured otherwise.
foreach (var category in new[] { "Microsoft.AspNetCore", "System.Net.Http.HttpClient", "Polly" })
    config[$"Logging:LogLevel:{category}"] ??= "Warning";
builder.Host.ConfigureHostOptions(o => o.ShutdownTimeout = config.GetValue("Orleans:ShutdownTimeout", TimeSpan.FromSeconds(25)));

// Storage: SQLite file by default, PostgreSQL with Storage:Provider=PostgreSql.
var storage = config.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();
StorageOptionsValidator.ThrowIfInvalid(storage);
var connectionString = StorageConnection.ConnectionString(storage);
DbProviderFactory dbFactory = storage.Provider == StorageProvider.PostgreSql ? NpgsqlFactory.Instance : SqliteFactory.Instance;
if (storage.Provider == StorageProvider.Sqlite && SqliteFile.PathOf(connectionString) is { } databaseFile) Directory.CreateDirectory(Path.GetDirectoryName(databaseFile)!);

// The inbox, the outbox and the event log live in the database of grain state; on SQLite each gets a sibling file
// (StorageConnection.Sibling says why).
var providerName = storage.Provider == StorageProvider.PostgreSql ? "PostgreSql" : "Sqlite";
config["Callbacks:Provider"] ??= providerName;
if (config["Callbacks:ConnectionString"] is null)
{
    config["Callbacks:ConnectionString"] = StorageConnection.Sibling(storage, "inbox");
    // Versions before kept it in the grain-state file.
    if (storage.Provider == StorageProvider.Sqlite) config["Callbacks:PreviousConnectionString"] ??= connectionString;
}

config["Events:Provider"] ??= providerName;
config["Events:ConnectionString"] ??= StorageConnection.Sibling(storage, "events");
config["Events:SqliteSynchronous"] ??= storage.SqliteSynchronous;

// Tenants' webhooks may point at this machine on the embedded run.
if (storage.Provider == StorageProvider.Sqlite) config["Webhooks:AllowLoopback"] ??= "true";

// The container-host emulator stands in for WeCom unless told otherwise; it then becomes the cluster's one host.
var emulatorEnabled = config.GetValue("Emulator:Enabled", true);
var emulatorUrl = config["Emulator:Url"] ?? "http://127.0.0.1:5090";
var emulatorOptions = config.GetSection(EmulatorOptions.SectionName).Get<EmulatorOptions>() ?? new EmulatorOptions();
emulatorOptions.ApiKey ??= config["EMULATOR_APIKEY"];
var callbackToken = config["Callbacks:HostTokens:emulator"] ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
config["Callbacks:HostTokens:emulator"] = callbackToken;
var hostsSection = config.GetSection(ContainerHostsOptions.SectionName);
if (emulatorEnabled && !hostsSection.GetChildren().Any())
{
    builder.Services.AddContainerHosts(o => o.Hosts.Add(new ContainerHostOptions
    {
        Name = "emulator",
        BaseUrl = emulatorUrl,
        ApiKey = emulatorOptions.ApiKey ?? "embedded",
        Capacity = emulatorOptions.Capacity,
    }));
}
else
{
    builder.Services.AddContainerHosts(hostsSection);
}

// The operator key for /admin: configured, or generated and printed on the embedded run.
var adminKey = config["Gateway:AdminApiKey"] ?? config["WECOM_ADMIN_KEY"];
var adminKeyGenerated = string.IsNullOrEmpty(adminKey) && storage.Provider == StorageProvider.Sqlite;
if (adminKeyGenerated) adminKey = "adm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
if (!string.IsNullOrEmpty(adminKey)) config["Gateway:AdminApiKey"] = adminKey;

builder.UseOrleans(silo =>
{
    silo.Configure<ClusterOptions>(o =>
    {
        o.ClusterId = config["Orleans:ClusterId"] ?? "orleans-wecom";
        o.ServiceId = config["Orleans:ServiceId"] ?? "orleans-wecom";
    });
    var siloPort = config.GetValue("Orleans:SiloPort", 11111);
    var gatewayPort = config.GetValue("Orleans:GatewayPort", 30000);
    silo.UseWeComClustering(storage, siloPort, gatewayPort);
    if (storage.Provider == StorageProvider.PostgreSql)
    {
        // In a cluster each silo listens on all interfaces and advertises the address peers reach it by (the pod IP).
        silo.Configure<EndpointOptions>(o =>
        {
            o.SiloPort = siloPort;
            o.GatewayPort = gatewayPort;
            o.AdvertisedIPAddress = IPAddress.TryParse(config["Orleans:AdvertisedIPAddress"] ?? config["POD_IP"], out var ip) ? ip : IPAddress.Loopback;
            o.SiloListeningEndpoint = new IPEndPoint(IPAddress.Any, siloPort);
            o.GatewayListeningEndpoint = new IPEndPoint(IPAddress.Any, gatewayPort);
        });
    }

    if ((config["Orleans:SiloName"] ?? config["POD_NAME"]) is { Length: > 0 } siloName)
        silo.Configure<SiloOptions>(o => o.SiloName = siloName);
    silo.UseWeComStorage(storage);
    silo.AddWeComCallbackGrains();
    silo.Services.AddSingleton<GrainCallCounter>();
    silo.Services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<GrainCallCounter>());
});

var services = builder.Services;
services.AddWeComGateway(config);
services.AddWeComCallbacks(config);
services.AddWeComEvents(config);
if (config.GetValue("Mqtt:Enabled", true)) services.AddWeComMqtt(config);
services.AddOptions<LifecycleOptions>().Bind(config.GetSection("WeCom:Lifecycle"));
services.AddConversationOptions(config);
services.AddOptions<SendingOptions>().Bind(config.GetSection("WeCom:Limits")).Bind(config.GetSection("WeCom:Outbox")).ValidateOnStart();
services.AddSingleton<IValidateOptions<SendingOptions>, SendingOptionsValidator>();
var outboxConnectionString = StorageConnection.Sibling(storage, "outbox");
services.AddWeComOutbox(o =>
{
    o.Factory = dbFactory;
    o.ConnectionString = outboxConnectionString;
    o.SqliteSynchronous = storage.SqliteSynchronous;
});
if (storage.Provider == StorageProvider.Sqlite)
    services.AddSqliteCheckpoints(config["Callbacks:ConnectionString"]!, config["Events:ConnectionString"]!, outboxConnectionString);
services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, OutboxRecovery>();
services.AddSingleton<ContainerHostAdapter>();
services.AddSingleton<IContainerHosts>(sp => sp.GetRequiredService<ContainerHostAdapter>());
services.AddSingleton<IContainerHostSender>(sp => sp.GetRequiredService<ContainerHostAdapter>());
services.AddSingleton<IReadinessProbe>(sp => ActivatorUtilities.CreateInstance<Readiness>(sp, dbFactory, connectionString));
if (emulatorEnabled)
    services.AddHostedService(sp => ActivatorUtilities.CreateInstance<EmbeddedEmulator>(sp, emulatorOptions, emulatorUrl, callbackToken));
if (config.GetValue("Demo:Enabled", storage.Provider == StorageProvider.Sqlite))
    services.AddHostedService<DemoTenant>();

var app = builder.Build();
var open = app.MapWeComGateway();
open.MapConversations();
open.MapWebhooks();
app.MapCallbacks();
// Operator stats: grain calls handled here, activations by grain type, process memory.
app.MapGroup("/admin").RequireOperator().MapGet("/stats", async (GrainCallCounter calls, IGrainFactory grains) =>
{
    var stats = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
    GC.Collect();
    return Envelope.Ok(new
    {
        grainCalls = calls.Calls,
        activations = stats.GroupBy(s => s.GrainType).ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount)),
        managedBytes = GC.GetTotalMemory(forceFullCollection: true),
        workingSetBytes = Environment.WorkingSet,
    });
});

var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansWeCom");
app.Lifetime.ApplicationStarted.Register(() =>
{
    log.LogInformation("OrleansWeCom tenant API on {Urls}", string.Join(", ", app.Urls));
    log.LogInformation("Storage: {Provider} at {Location}", storage.Provider,
        storage.Provider == StorageProvider.Sqlite ? Path.GetFullPath(new SqliteConnectionStringBuilder(connectionString).DataSource) : "PostgreSQL (connection string configured)");
    log.LogInformation("Container host(s): {Hosts}", emulatorEnabled ? $"embedded emulator on {emulatorUrl}" : "configured in ContainerHosts");
    if (adminKeyGenerated)
        log.LogWarning("Operator apikey for /admin: {AdminKey}", adminKey);
});
app.Run();

public partial class Program;
