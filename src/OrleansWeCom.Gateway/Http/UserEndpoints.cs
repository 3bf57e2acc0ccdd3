using System.Text.Json.Serialization;

namespace OrleansWeCom.Gateway.Http;

/// <summary>A user as <c>GET /inner/user/list</c> returns it in the seed.</summary>
public sealed record UserListItem(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("createdAt")] string CreatedAt,
    [property: JsonPropertyName("phone")] string? Phone,
    [property: JsonPropertyName("avatar")] string? Avatar,
    [property: JsonPropertyName("Permissions")] int[] Permissions,
    [property: JsonPropertyName("IsAdmin")] bool IsAdmin,
    [property: JsonPropertyName("Remark")] string? Remark);

public static class UserEndpoints
{
    public static void MapUsers(this RouteGroupBuilder open)
    {
        open.MapGet("/inner/user/list", async (HttpContext http, IGrainFactory grains) =>
        {
            var users = await grains.GetGrain<ITenantGrain>(http.Tenant().Value).GetUsersAsync();
            return Envelope.Ok(users.Select(u => new UserListItem(
                u.UserId, u.Username, u.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss"), u.Phone, null, [], u.IsAdmin, u.Remark)));
        });
    }
}
