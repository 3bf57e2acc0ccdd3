using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansWeCom.Emulator.Api;

/// <summary>The seed's response envelope: <c>{"msg":"","code":0,"data":…}</c>.</summary>
internal static class Envelope
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static IResult Ok(JsonNode? data = null) =>
        Results.Json(new JsonObject { ["msg"] = "", ["code"] = 0, ["data"] = data }, Json);

    public static IResult Error(int status, string message) =>
        Results.Json(new JsonObject { ["code"] = status, ["msg"] = message, ["data"] = null }, Json, statusCode: status);

    public static JsonArray Array<T>(IEnumerable<T> items, Func<T, JsonNode?> map)
    {
        var array = new JsonArray();
        foreach (var item in items)
        {
            array.Add(map(item));
        }

        return array;
    }

    public static JsonArray Strings(IEnumerable<string> items) => Array(items, s => JsonValue.Create(s));
}
