using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using OrleansWeCom.Telemetry;

namespace OrleansWeCom.Host.Hosting;

/// <summary>
/// OpenTelemetry (section <c>Telemetry</c>), off unless an exporter is configured: a Prometheus scrape endpoint
/// (<c>Telemetry:Prometheus:Enabled</c>, at <c>/metrics</c>, on the admin port when there is one) and OTLP
/// (<c>Telemetry:Otlp:Endpoint</c>) for metrics and traces. Meters: ours (<c>OrleansWeCom</c>, <c>OrleansWeCom.Mqtt</c>),
/// Orleans', Npgsql's, ASP.NET Core's, HttpClient's and the runtime's. Traces follow a request through Orleans grain
/// calls to the host's HTTP call.
/// </summary>
public static class Telemetry
{
    public static bool PrometheusEnabled(IConfiguration config) => config.GetValue("Telemetry:Prometheus:Enabled", false);

    public static void AddWeComTelemetry(this IHostApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var otlp = config["Telemetry:Otlp:Endpoint"];
        var prometheus = PrometheusEnabled(config);
        if (!prometheus && string.IsNullOrWhiteSpace(otlp)) return;

        var telemetry = builder.Services.AddOpenTelemetry();
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(WeComTelemetry.Name, "OrleansWeCom.Mqtt", "Microsoft.Orleans", "Npgsql")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation();
            if (prometheus) metrics.AddPrometheusExporter();
            if (!string.IsNullOrWhiteSpace(otlp)) metrics.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
        });
        telemetry.WithTracing(tracing =>
        {
            tracing.AddSource(WeComTelemetry.Name, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Npgsql")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation();
            if (!string.IsNullOrWhiteSpace(otlp)) tracing.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
        });
    }

    public static void MapWeComTelemetry(this WebApplication app)
    {
        if (PrometheusEnabled(app.Configuration)) app.MapPrometheusScrapingEndpoint("/metrics");
    }
}
