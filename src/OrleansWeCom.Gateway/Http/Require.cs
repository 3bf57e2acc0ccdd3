using System.Diagnostics.CodeAnalysis;

namespace OrleansWeCom.Gateway.Http;

/// <summary>Parameter checks that answer 400 naming the parameter.</summary>
public static class Require
{
    public static string Text([NotNull] string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value)) throw ApiError.BadRequest($"{name} is required");
        return value;
    }

    public static WxId WxId(string? value, string name = "wxId")
    {
        Text(value, name);
        return OrleansWeCom.WxId.TryParse(value, out var id) ? id : throw ApiError.BadRequest($"{name} '{value}' is not a valid id (digits only)");
    }

    public static HostName HostName(string? value, string name = "hostname")
    {
        Text(value, name);
        return OrleansWeCom.HostName.TryParse(value, out var id) ? id : throw ApiError.BadRequest($"{name} '{value}' is not a valid container name");
    }

    public static IReadOnlyList<HostName> HostNames(IReadOnlyList<string>? values, string name = "hostname")
    {
        if (values is null || values.Count == 0) throw ApiError.BadRequest($"{name} must be a non-empty array of container names");
        if (values.Count > 1000) throw ApiError.BadRequest($"{name} holds more than 1000 names");
        return values.Select(v => HostName(v, name)).Distinct().ToList();
    }
}
