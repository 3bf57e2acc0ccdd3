using System.Net.Http.Headers;
using System.Text;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.TenantConsole;
using Orleans.Dashboard;
using OrleansWeCom.Storage;
using Scalar.AspNetCore;

namespace OrleansWeCom.Host.Hosting;

/// <summary>
/// Pages beside the API: the Orleans Dashboard for operators at <c>/admin/dashboard</c> (<c>Dashboard:Enabled</c>, on by
/// default only on the embedded run), and the OpenAPI document at <c>/openapi/v1.json</c> with interactive docs at
/// <c>/docs</c>.
/// </summary>
public static class OperatorPages
{
    public const string DashboardPath = "/admin/dashboard";

    public static bool DashboardEnabled(IConfiguration config) =>
        config.GetValue("Dashboard:Enabled", config.GetValue<StorageProvider?>("Storage:Provider") is null or StorageProvider.Sqlite);

    public static void AddWeComOpenApi(this IServiceCollection services) => services.AddOpenApi(o =>
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "OrleansWeCom tenant API";
            document.Info.Description = "The container host's openAPI (seed 000) for tenants, with the routes of seeds 001–003 and our own "
                + "(conversations, webhooks, events). Every answer is the envelope {\"code\":…,\"msg\":…,\"data\":…}; code 0 is success. "
                + "Authenticate with the tenant key in the apikey header.";
            return Task.CompletedTask;
        }));

    public static void MapWeComPages(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapTenantConsole();
        app.MapScalarApiReference("/docs", o => o.WithTitle("OrleansWeCom tenant API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        if (DashboardEnabled(app.Configuration))
            app.MapOrleansDashboard(DashboardPath).AddEndpointFilter(async (invocation, next) =>
                IsOperator(invocation.HttpContext) ? await next(invocation) : Challenge(invocation.HttpContext));
    }

    /// <summary>The operator key in the apikey header, or as the password of HTTP Basic (what a browser can send).</summary>
    private static bool IsOperator(HttpContext http)
    {
        var auth = http.RequestServices.GetRequiredService<TenantAuthenticator>();
        if (auth.IsOperator(http.Request.Headers[TenantAuthenticator.HeaderName])) return true;
        if (!AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null) return false;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            return auth.IsOperator(pair[(pair.IndexOf(':') + 1)..]);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static IResult Challenge(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Basic realm=\"OrleansWeCom operator\", charset=\"UTF-8\"";
        return Envelope.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "the operator key is needed (apikey header, or as the password of Basic auth)");
    }
}
