using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Directory;

/// <summary>A request's parameters by name, case-insensitively: the JSON body's properties first, then the query's.</summary>
public sealed class RequestParams
{
    private readonly Dictionary<string, JsonNode?> _values;

    private RequestParams(Dictionary<string, JsonNode?> values) => _values = values;

    public bool TryGet(string name, out JsonNode? value) => _values.TryGetValue(name, out value);

    public static async Task<RequestParams> ReadAsync(HttpRequest request)
    {
        var values = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase);
        if (!HttpMethods.IsGet(request.Method) && await ReadBodyAsync(request) is { } body)
            foreach (var (name, value) in body)
                values.TryAdd(name, value?.DeepClone());
        foreach (var (name, value) in request.Query)
            if (value.Count > 0) values.TryAdd(name.EndsWith("[]", StringComparison.Ordinal) ? name[..^2] : name, value.Count == 1 ? JsonValue.Create(value.ToString()) : new JsonArray(value.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()));
        return new RequestParams(values);
    }

    /// <summary>The body as a JSON object, null when there is none; 400 when it is not an object, 413 past the limit.</summary>
    public static async Task<JsonObject?> ReadBodyAsync(HttpRequest request)
    {
        var body = await Envelope.ReadLimitedAsync(request, Envelope.MaxJsonBody);
        if (body.Length == 0) return null;
        // Names are case-insensitive here too: one named twice (wxId and WXID) answers 400, as on the send routes.
        return OrleansWeCom.SendRequestParser.ParseObject(body);
    }
}
