using System.Net;
using System.Security.Cryptography;
using Orleans.Dashboard;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using OrleansWeCom.ContainerHost;
using OrleansWeCom.Emulator;
using OrleansWeCom.Gateway;
using OrleansWeCom.Gateway.Callbacks;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Mqtt;
using OrleansWeCom.Gateway.Webhooks;
using OrleansWeCom.Grains.Callbacks;
using OrleansWeCom.Grains.Directory;
using OrleansWeCom.Grains.Events;
using OrleansWeCom.Grains.Hosts;
using OrleansWeCom.Grains.Lifecycle;
using OrleansWeCom.Grains.Quotas;
using OrleansWeCom.Grains.Sending;
using OrleansWeCom.Host.Storage;
using OrleansWeCom.Storage;

namespace OrleansWeCom.Host.Hosting;

/// <summary>
/// The one wiring of a WeCom process, used by Program.cs, every test host and every benchmark: they differ only in
/// configuration values (ports, file paths) and in services they register afterwards to stand in for the outside world.
/// </summary>
public static class WeComHosting
{
    /// <summary>
    /// The silo: storage and clustering (section <c>Storage</c>), the grains and their options, the outbox, the inbox and
    /// the event log, the container hosts (the embedded emulator unless <c>Emulator:Enabled</c> is false), readiness, and
    /// on the embedded run a demo tenant. Options are validated at start.
    /// </summary>
    public static StorageOptions AddWeComSilo(this IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var role = SiloRoles.Of(config);
        // Stores first and the rest after the silo, so that hosted services calling grains start once the silo has.
        var storage = AddStores(builder);
        if (role != SiloRole.All && storage.Provider == StorageProvider.Sqlite)
            throw new InvalidOperationException($"Orleans:Role {role} needs a cluster: SQLite runs one silo, which takes every role.");
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
            // Failure detection (ProbeTimeout, NumMissedProbesLimit, …): Orleans' defaults declare a crashed silo dead in
            // about 20 s; a deployment (or the chaos test) may shorten that.
            silo.Configure<ClusterMembershipOptions>(config.GetSection("Orleans:Membership"));
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
            // Pod labels, the namespace's pods watched to declare vanished silos dead sooner; clustering stays in the database.
            if (config.GetValue("Orleans:KubernetesHosting", false)) silo.UseKubernetesHosting();
            silo.UseWeComTls(config);
            silo.UseWeComRole(role);
            if (OperatorPages.DashboardEnabled(config)) silo.AddDashboard();
            // Traces follow a request into grain calls (exported only when telemetry is configured).
            silo.AddActivityPropagation();
            silo.AddWeComGrains(storage);
        });
        AddServices(builder, storage);
        builder.AddWeComTelemetry();
        return storage;
    }

    /// <summary>
    /// What a silo of ours holds besides its clustering: grain storage and reminders, the callback grains and the call
    /// counter. <see cref="AddWeComSilo"/> calls it; the in-process test cluster, which brings its own clustering, too.
    /// </summary>
    public static ISiloBuilder AddWeComGrains(this ISiloBuilder silo, StorageOptions storage)
    {
        silo.UseWeComStorage(storage);
        // Live account events for internal services; subscriptions persist in the pub-sub store beside grain state.
        silo.AddMemoryStreams(AccountEventStreams.Provider);
        silo.AddWeComCallbackGrains();
        silo.Services.AddSingleton<GrainCallCounter>();
        silo.Services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<GrainCallCounter>());
        return silo;
    }

    /// <summary>
    /// The silo's services (stores, options, container hosts, readiness, the demo tenant) without the silo itself, for a
    /// host whose silo is built elsewhere; <see cref="AddWeComSilo"/> calls it.
    /// </summary>
    public static StorageOptions AddWeComSiloServices(this IHostApplicationBuilder builder)
    {
        var storage = AddStores(builder);
        AddServices(builder, storage);
        return storage;
    }

    private static StorageOptions AddStores(IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        // At Information these categories write lines for every request, host call and grain placement. They stay at
        // Warning unless configured otherwise.
        foreach (var category in new[] { "Microsoft.AspNetCore", "System.Net.Http.HttpClient", "Polly" })
            config[$"Logging:LogLevel:{category}"] ??= "Warning";
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = config.GetValue("Orleans:ShutdownTimeout", TimeSpan.FromSeconds(25)));

        var storage = config.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();
        StorageOptionsValidator.ThrowIfInvalid(storage);
        storage.BasePath ??= builder.Environment.ContentRootPath;
        // Tenants' webhooks may point at this machine on the embedded run.
        if (storage.Provider == StorageProvider.Sqlite) config["Webhooks:AllowLoopback"] ??= "true";
        // The embedded emulator serves the files a send refers to on loopback.
        if (config.GetValue("Emulator:Enabled", true)) config["Gateway:FileProbe:AllowLoopback"] ??= "true";
        builder.Services.AddWeComStores(config, storage);
        return storage;
    }

    private static void AddServices(IHostApplicationBuilder builder, StorageOptions storage)
    {
        var config = builder.Configuration;
        var services = builder.Services;
        services.AddWeComEvents(config);
        services.AddWeComSending();
        services.AddWeComTenantUsage(config);
        services.AddOptions<LifecycleOptions>().Bind(config.GetSection("WeCom:Lifecycle"));
        services.AddConversationOptions(config);
        services.AddOptions<SendingOptions>().Bind(config.GetSection("WeCom:Limits")).Bind(config.GetSection("WeCom:Outbox")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SendingOptions>, SendingOptionsValidator>();
        services.AddOptions<DirectoryOptions>().Bind(config.GetSection(DirectoryOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DirectoryOptions>, DirectoryOptionsValidator>();
        services.AddSingleton<IReadinessProbe, Readiness>();
        AddContainerHosts(builder);
        services.AddHostedService<HostHealthReporter>();
        if (config.GetValue("Demo:Enabled", storage.Provider == StorageProvider.Sqlite))
            services.AddHostedService<DemoTenant>();
    }

    /// <summary>
    /// The container hosts: those of section <c>ContainerHosts</c>, or else the emulator, embedded in this process with a
    /// callback token of its own (<c>Emulator:Enabled</c>, on by default).
    /// </summary>
    private static void AddContainerHosts(IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var hostsSection = config.GetSection(ContainerHostsOptions.SectionName);
        if (!config.GetValue("Emulator:Enabled", true) || hostsSection.GetChildren().Any())
        {
            builder.Services.AddContainerHosts(hostsSection);
            return;
        }

        var emulatorUrl = config["Emulator:Url"] ?? "http://127.0.0.1:5090";
        var emulatorOptions = config.GetSection(EmulatorOptions.SectionName).Get<EmulatorOptions>() ?? new EmulatorOptions();
        emulatorOptions.ApiKey ??= config["EMULATOR_APIKEY"];
        var callbackToken = config["Callbacks:HostTokens:emulator"] ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        config["Callbacks:HostTokens:emulator"] = callbackToken;
        builder.Services.AddContainerHosts(o => o.Hosts.Add(new ContainerHostOptions
        {
            Name = "emulator",
            BaseUrl = emulatorUrl,
            ApiKey = emulatorOptions.ApiKey ?? "embedded",
            Capacity = emulatorOptions.Capacity,
        }));
        builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<EmbeddedEmulator>(sp, emulatorOptions, emulatorUrl, callbackToken));
    }

    /// <summary>
    /// The ASP.NET side: the tenant API, the callback endpoint's ingestion and the MQTT broker (<c>Mqtt:Enabled</c>, on by
    /// default). The operator key for <c>/admin</c> comes from <c>Gateway:AdminApiKey</c> (or <c>WECOM_ADMIN_KEY</c>); on
    /// the embedded run one is generated and returned, for the caller to show.
    /// </summary>
    public static string? AddWeComGateway(this IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        if (!SiloRoles.Of(config).TakesTraffic()) return null;
        var adminKey = config["Gateway:AdminApiKey"] ?? config["WECOM_ADMIN_KEY"];
        string? generated = null;
        if (string.IsNullOrEmpty(adminKey) && config.GetValue<StorageProvider?>("Storage:Provider") is null or StorageProvider.Sqlite)
            adminKey = generated = "adm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        if (!string.IsNullOrEmpty(adminKey)) config["Gateway:AdminApiKey"] = adminKey;

        builder.Services.AddWeComGateway(config);
        builder.Services.AddWeComOpenApi();
        builder.Services.AddWeComCallbacks(config);
        if (config.GetValue("Mqtt:Enabled", true)) builder.Services.AddWeComMqtt(config);
        return generated;
    }

    /// <summary>
    /// Every endpoint: the tenant API with conversations and webhooks, the callback endpoint and the operator's stats; on
    /// a worker silo only the health checks.
    /// </summary>
    public static WebApplication MapWeCom(this WebApplication app)
    {
        if (!SiloRoles.Of(app.Configuration).TakesTraffic())
        {
            app.MapHealth();
            app.MapWeComTelemetry();
            return app;
        }

        var open = app.MapWeComGateway();
        app.MapWeComTelemetry();
        app.MapWeComPages();
        open.MapConversations();
        open.MapWebhooks();
        app.MapCallbacks();
        // Operator stats: grain calls handled here, activations by grain type, process memory. A full collection (which
        // stops the silo) runs only when asked for with ?collect=true, for a benchmark's before-and-after.
        app.MapGroup("/admin").RequireOperator().MapGet("/stats", async (GrainCallCounter calls, IGrainFactory grains, bool? collect) =>
        {
            var stats = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
            return Envelope.Ok(new
            {
                grainCalls = calls.Calls,
                activations = stats.GroupBy(s => s.GrainType).ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount)),
                managedBytes = GC.GetTotalMemory(forceFullCollection: collect == true),
                workingSetBytes = Environment.WorkingSet,
            });
        });
        return app;
    }
}
