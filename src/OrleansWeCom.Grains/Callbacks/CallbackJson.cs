using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OrleansWeCom.Grains.Callbacks;

internal static class CallbackJson
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The seed marks sends made through the openAPI with <c>"isOpenApi": true</c> in <c>data</c>.</summary>
    public static string? MarkOpenApi(string? dataJson)
    {
        if (dataJson is null || JsonNode.Parse(dataJson) is not JsonObject data) return dataJson;
        data["isOpenApi"] = true;
        return data.ToJsonString(Relaxed);
    }
}
