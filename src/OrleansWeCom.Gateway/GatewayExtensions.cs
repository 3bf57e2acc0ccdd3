using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Configuration;
using OrleansWeCom.Gateway.Directory;
using Microsoft.Extensions.Options;
using OrleansWeCom.Net;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Sending;

namespace OrleansWeCom.Gateway;

public static class GatewayExtensions
{
    /// <summary>Services of the tenant-facing gateway: envelope errors, authentication, JSON conventions.</summary>
    public static IServiceCollection AddWeComGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection("Gateway"));
        services.AddSingleton<TenantAuthenticator>();
        services.AddOptions<QuotaOptions>().Bind(configuration.GetSection("Gateway:Quotas"))
            .Validate(o => o.RequestsPerSecond >= 0 && o.ContainersPerTenant >= 0 && o.UnknownKeyLookupsPerSecond >= 0, "Gateway:Quotas values must not be negative")
            .ValidateOnStart();
        services.AddSingleton<TenantQuotas>();
        services.AddSingleton<SendService>();
        services.AddOptions<Webhooks.EventStreamOptions>().Bind(configuration.GetSection("Gateway:EventStream"))
            .Validate(o => o.MaxConnectionsPerTenant > 0 && o.PollInterval > TimeSpan.Zero && o.HeartbeatInterval > TimeSpan.Zero,
                "Gateway:EventStream: MaxConnectionsPerTenant, PollInterval and HeartbeatInterval must be positive")
            .ValidateOnStart();
        services.AddSingleton<Webhooks.EventStreamConnections>();
        services.AddOptions<Files.FileOptions>().Bind(configuration.GetSection("Files"));
        services.AddSingleton<Files.UploadStore>();
        services.AddSingleton<Files.UploadHandOff>();
        services.AddHttpClient();
        services.AddOptions<FileProbeOptions>().Bind(configuration.GetSection("Gateway:FileProbe"))
            .Validate(o => o.Timeout > TimeSpan.Zero && o.Timeout <= TimeSpan.FromMinutes(1), "Gateway:FileProbe:Timeout must be positive and at most a minute")
            .ValidateOnStart();
        services.AddKeyedSingleton(HttpFileSizeProbe.ClientName, (sp, _) =>
        {
            var o = sp.GetRequiredService<IOptions<FileProbeOptions>>().Value;
            return new OutboundGuard(o.AllowLoopback, o.AllowPrivateNetworks);
        });
        services.AddHttpClient(HttpFileSizeProbe.ClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredKeyedService<OutboundGuard>(HttpFileSizeProbe.ClientName)
                .CreateHandler(sp.GetRequiredService<IOptions<FileProbeOptions>>().Value.Timeout));
        services.AddSingleton<IFileSizeProbe>(sp => new HttpFileSizeProbe(sp.GetRequiredService<IHttpClientFactory>(),
            sp.GetRequiredKeyedService<OutboundGuard>(HttpFileSizeProbe.ClientName), sp.GetRequiredService<IOptions<FileProbeOptions>>()));
        services.AddExceptionHandler<EnvelopeExceptionHandler>();
        services.AddProblemDetails();
        services.TryAddTimeProvider();
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNameCaseInsensitive = true;
            o.SerializerOptions.NumberHandling = Envelope.Json.NumberHandling;
            o.SerializerOptions.Encoder = Envelope.Json.Encoder;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>Maps health, admin and the tenant openAPI under <c>/gnapi/open</c>.</summary>
    public static RouteGroupBuilder MapWeComGateway(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages(async context =>
        {
            // Unknown paths and wrong methods answer in the envelope too.
            var http = context.HttpContext;
            if (http.Response.ContentLength is null && http.Response.ContentType is null)
                await Envelope.WriteErrorAsync(http, http.Response.StatusCode, http.Response.StatusCode * 100,
                    http.Response.StatusCode switch
                    {
                        404 => $"no such endpoint: {http.Request.Method} {http.Request.Path}",
                        405 => $"method {http.Request.Method} is not allowed on {http.Request.Path}",
                        _ => "request failed",
                    });
        });
        app.UseAdminListener();
        app.MapHealth();
        app.MapAdmin();
        var open = app.MapGroup("/gnapi/open").RequireTenant();
        open.MapUsers();
        open.MapContainers();
        open.MapMessages();
        open.MapAccountStats();
        open.MapDirectory();
        return open;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }
}
