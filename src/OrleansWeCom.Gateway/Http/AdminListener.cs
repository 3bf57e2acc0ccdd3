using Microsoft.Extensions.Configuration;

namespace OrleansWeCom.Gateway.Http;

/// <summary>
/// With <c>Gateway:AdminPort</c> set, the operator's API (and the metrics scrape) answers only on that local port and the tenant API only on the
/// others, so that a cluster can publish the tenant port and keep the admin port internal. The local port is the one the
/// connection arrived on, not the Host header a caller chooses. Health checks and the console's static files (which hold
/// no secret; an operator opens them on the admin port) answer on every port.
/// </summary>
public static class AdminListener
{
    public static void UseAdminListener(this WebApplication app)
    {
        if (app.Configuration.GetValue<int?>("Gateway:AdminPort") is not { } adminPort) return;
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            var admin = path.StartsWithSegments("/admin") || path.StartsWithSegments("/metrics");
            if (!path.StartsWithSegments("/health") && !path.StartsWithSegments("/console") && admin != (context.Connection.LocalPort == adminPort))
            {
                await Envelope.WriteErrorAsync(context, StatusCodes.Status404NotFound, StatusCodes.Status404NotFound * 100,
                    $"no such endpoint: {context.Request.Method} {path}");
                return;
            }

            await next(context);
        });
    }
}
