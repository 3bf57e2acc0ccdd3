using System.Globalization;
using System.Text.Json;

namespace OrleansWeCom.Emulator.Api;

/// <summary>
/// Request parameters from the JSON body and the query string, looked up by name without regard to case,
/// because the seed says the host's parameter names are case-insensitive.
/// </summary>
internal sealed class ApiParams
{
    private readonly Dictionary<string, JsonElement> _body;
    private readonly IQueryCollection _query;
    private readonly RouteValueDictionary _route;

    private ApiParams(Dictionary<string, JsonElement> body, IQueryCollection query, RouteValueDictionary? route = null)
    {
        _body = body;
        _query = query;
        _route = route ?? [];
    }

    public static ApiParams FromElement(JsonElement element) =>
        new(ToDictionary(element), QueryCollection.Empty);

    public static async Task<ApiParams> ReadAsync(HttpRequest request)
    {
        var body = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        var isJson = request.ContentType is null || request.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase);
        if (isJson && request.ContentLength != 0 && !HttpMethods.IsGet(request.Method))
        {
            JsonDocument document;
            try
            {
                document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }, request.HttpContext.RequestAborted);
            }
            catch (JsonException ex)
            {
                // An empty chunked body is not malformed: it is no body.
                if (ex.BytePositionInLine == 0 && ex.LineNumber == 0)
                {
                    return new ApiParams(body, request.Query, request.RouteValues);
                }

                throw ApiException.BadRequest($"malformed JSON body: {ex.Message}");
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw ApiException.BadRequest("the JSON body must be an object");
                }

                body = ToDictionary(document.RootElement.Clone());
            }
        }

        return new ApiParams(body, request.Query, request.RouteValues);
    }

    private static Dictionary<string, JsonElement> ToDictionary(JsonElement element)
    {
        var result = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                result[property.Name] = property.Value;
            }
        }

        return result;
    }

    public bool Has(string name) => _route.ContainsKey(name) || _body.ContainsKey(name) || _query.ContainsKey(name);

    public JsonElement? Element(string name) =>
        _body.TryGetValue(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? value : null;

    public string? String(string name)
    {
        if (_route.TryGetValue(name, out var routeValue) && routeValue is string fromRoute)
        {
            return fromRoute;
        }

        if (Element(name) is { } value)
        {
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                _ => throw ApiException.BadRequest($"parameter '{name}' must be a string"),
            };
        }

        return _query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
    }

    public string Required(string name)
    {
        var value = String(name);
        return string.IsNullOrWhiteSpace(value) ? throw ApiException.BadRequest($"parameter '{name}' is required") : value.Trim();
    }

    /// <summary>A list given as a JSON array, a comma-separated string, or repeated query keys.</summary>
    public IReadOnlyList<string> List(string name)
    {
        if (Element(name) is { } value)
        {
            if (value.ValueKind == JsonValueKind.Array)
            {
                return value.EnumerateArray()
                    .Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.GetRawText())
                    .Where(s => s.Length > 0)
                    .ToList();
            }

            return Split(String(name));
        }

        if (_query.TryGetValue(name, out var values))
        {
            return values.SelectMany(v => Split(v)).ToList();
        }

        return [];
    }

    public IReadOnlyList<string> RequiredList(string name)
    {
        var list = List(name);
        return list.Count == 0 ? throw ApiException.BadRequest($"parameter '{name}' is required") : list;
    }

    public long? Long(string name)
    {
        var text = String(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ApiException.BadRequest($"parameter '{name}' must be an integer");
    }

    public double? Double(string name)
    {
        var text = String(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ApiException.BadRequest($"parameter '{name}' must be a number");
    }

    public bool? Bool(string name)
    {
        var text = String(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return bool.TryParse(text, out var value)
            ? value
            : text == "1" ? true : text == "0" ? false : throw ApiException.BadRequest($"parameter '{name}' must be true or false");
    }

    /// <summary>Array elements that are objects, each as its own parameter set.</summary>
    public IReadOnlyList<ApiParams> Objects(string name) =>
        Element(name) is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(FromElement).ToList()
            : [];

    private static List<string> Split(string? text) =>
        string.IsNullOrWhiteSpace(text)
            ? []
            : text.Split([',', '，'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
