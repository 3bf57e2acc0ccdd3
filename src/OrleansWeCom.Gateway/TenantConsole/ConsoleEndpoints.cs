using System.Reflection;

namespace OrleansWeCom.Gateway.TenantConsole;

/// <summary>
/// The console at <c>/console/</c>: plain HTML, JavaScript and CSS embedded in this assembly (no build step). The page
/// holds no secret; it calls the tenant API, or the operator's <c>/admin</c> routes, with the key the user types in.
/// </summary>
public static class ConsoleEndpoints
{
    private static readonly Dictionary<string, string> Files = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["console.js"] = "text/javascript; charset=utf-8",
        ["webhook.js"] = "text/javascript; charset=utf-8",
        ["operator.js"] = "text/javascript; charset=utf-8",
        ["console.css"] = "text/css; charset=utf-8",
    };

    public static void MapTenantConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/console/{file?}", (HttpContext http, string? file) =>
        {
            // The page's relative links need the trailing slash (routing matches /console and /console/ alike).
            if (file is null && !http.Request.Path.Value!.EndsWith('/')) return Results.Redirect("/console/");
            file ??= "index.html";
            if (!Files.TryGetValue(file, out var type)) return Results.NotFound();
            var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("OrleansWeCom.Gateway.TenantConsole." + file);
            return stream is null ? Results.NotFound() : Results.Stream(stream, type);
        }).ExcludeFromDescription();
    }
}
