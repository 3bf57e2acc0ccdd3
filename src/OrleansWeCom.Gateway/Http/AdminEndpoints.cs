namespace OrleansWeCom.Gateway.Http;

public sealed record CreateTenantRequest(string? Id, string? Name);
public sealed record AddUserRequest(string? UserId, string? Username, bool IsAdmin = false);
public sealed record IssueKeyRequest(string? ApiKey);

/// <summary>The operator's API: tenants, their users and keys (and, in <see cref="AdminOperationsEndpoints"/>, the fleet's state).</summary>
public static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").RequireOperator();

        admin.MapPost("/tenants", async (HttpRequest request, IGrainFactory grains) =>
        {
            var body = await Envelope.ReadBodyAsync<CreateTenantRequest>(request);
            if (!TenantId.TryParse(body.Id, out var id))
                throw ApiError.BadRequest("id is required: letters, digits, '-', '_' or '.', at most 64 characters");
            return Envelope.Ok(await grains.GetGrain<ITenantGrain>(id.Value).CreateAsync(body.Name ?? id.Value));
        });

        admin.MapGet("/tenants/{tenantId}", async (string tenantId, IGrainFactory grains) =>
            Envelope.Ok(await grains.GetGrain<ITenantGrain>(tenantId).GetAsync() ?? throw ApiError.NotFound($"tenant '{tenantId}' does not exist")));

        admin.MapPost("/tenants/{tenantId}/users", async (string tenantId, HttpRequest request, IGrainFactory grains) =>
        {
            var body = await Envelope.ReadBodyAsync<AddUserRequest>(request);
            var userId = Require.Text(body.UserId, "userId");
            if (userId.Length > 64) throw ApiError.BadRequest("userId is longer than 64 characters");
            return Envelope.Ok(await grains.GetGrain<ITenantGrain>(tenantId).AddUserAsync(userId, body.Username, body.IsAdmin));
        });

        admin.MapPost("/tenants/{tenantId}/apikeys", async (string tenantId, HttpRequest request, IGrainFactory grains) =>
        {
            // A chunked body has no Content-Length: only a request without any body asks for a generated key.
            var hasBody = request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
            var body = hasBody ? await Envelope.ReadBodyAsync<IssueKeyRequest>(request) : new IssueKeyRequest(null);
            if (body.ApiKey is { Length: < 16 }) throw ApiError.BadRequest("apiKey must be at least 16 characters");
            var key = await grains.GetGrain<ITenantGrain>(tenantId).IssueApiKeyAsync(body.ApiKey);
            return Envelope.Ok(new { apiKey = key });
        });

        admin.MapDelete("/tenants/{tenantId}/apikeys", async (string tenantId, HttpRequest request, IGrainFactory grains, TenantAuthenticator auth) =>
        {
            var body = await Envelope.ReadBodyAsync<IssueKeyRequest>(request);
            var key = Require.Text(body.ApiKey, "apiKey");
            if (!await grains.GetGrain<ITenantGrain>(tenantId).RevokeApiKeyAsync(key))
                throw ApiError.NotFound("no such key for that tenant");
            auth.Forget(key);
            return Envelope.Ok();
        });

        admin.MapOperations();
        return admin;
    }
}
