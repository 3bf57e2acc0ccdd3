using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansWeCom.Gateway.Http;

namespace OrleansWeCom.Gateway.Directory;

/// <summary>How a parameter of a seed route is read and checked.</summary>
public enum ParamKind
{
    /// <summary>A required, non-empty string (a number is taken as its digits).</summary>
    Text,

    /// <summary>A string passed on only when given.</summary>
    Optional,

    /// <summary>A required array of strings, which may be empty.</summary>
    List,

    /// <summary>A required, non-empty array of strings.</summary>
    NonEmptyList,

    /// <summary>Ids separated by commas (an array is joined), at least one.</summary>
    Csv,

    /// <summary>A whole number passed on only when given, within 1..<see cref="RouteParam.Max"/>.</summary>
    Number,
}

/// <summary>A parameter under the seed's exact name, with its bound (characters, items or the largest number).</summary>
public sealed record RouteParam(string Name, ParamKind Kind, int Max = 4096);

/// <summary>
/// A seed-000 route that one account's directory serves: its parameters, the parameter naming the account, and how its
/// answer is kept (<see cref="Cache"/> is a key template such as <c>members/{conversationId}</c>) or what it makes stale.
/// </summary>
public sealed record HostRoute(string Method, string Path, params RouteParam[] Params)
{
    public const int MaxListItems = 500;

    public string Account { get; init; } = "wxId";
    public string? Cache { get; init; }
    public DirectoryKeep Keep { get; init; } = DirectoryKeep.Refresh;
    public IReadOnlyList<string> Invalidates { get; init; } = [];
    public bool IdConversion { get; init; }

    /// <summary>A check across parameters, after each one is read.</summary>
    public Action<IReadOnlyDictionary<string, JsonNode?>>? Check { get; init; }

    /// <summary>Reads and checks the parameters (400 naming the first wrong one), in the seed's names and shapes.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Bind(RequestParams input)
    {
        var bound = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in Params)
        {
            input.TryGet(p.Name, out var raw);
            if (Read(p, raw) is { } value) bound[p.Name] = value;
        }

        Check?.Invoke(bound);
        return bound;
    }

    public HostCall ToCall(IReadOnlyDictionary<string, JsonNode?> bound)
    {
        var query = new List<HostParam>();
        string? body = null;
        if (Method == "GET")
            query.AddRange(Params.Where(p => bound.ContainsKey(p.Name)).Select(p => new HostParam(p.Name, Text(bound[p.Name]))));
        else
            body = new JsonObject(Params.Where(p => bound.ContainsKey(p.Name)).Select(p => KeyValuePair.Create(p.Name, bound[p.Name]?.DeepClone()))).ToJsonString();
        var key = Cache is null ? null : Fill(Cache, bound);
        return new HostCall(Method, Path, query, body, key, key is null ? DirectoryKeep.None : Keep,
            Invalidates.Select(i => Fill(i, bound)).ToList(), IdConversion);
    }

    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    private static JsonNode? Read(RouteParam p, JsonNode? raw)
    {
        var missing = raw is null || (raw is JsonValue v && v.GetValueKind() == JsonValueKind.String && string.IsNullOrWhiteSpace(v.GetValue<string>()));
        switch (p.Kind)
        {
            case ParamKind.Text or ParamKind.Optional:
                if (missing) return p.Kind == ParamKind.Text ? throw ApiError.BadRequest($"{p.Name} is required") : null;
                if (raw is not JsonValue scalar || scalar.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number))
                    throw ApiError.BadRequest($"{p.Name} must be a string");
                var text = Text(raw);
                return text.Length > p.Max ? throw ApiError.BadRequest($"{p.Name} is longer than {p.Max} characters") : JsonValue.Create(text);
            case ParamKind.List or ParamKind.NonEmptyList:
                if (raw is null) throw ApiError.BadRequest($"{p.Name} is required (an array of strings{(p.Kind == ParamKind.List ? "; [] for none" : "")})");
                var items = Strings(p, raw);
                if (p.Kind == ParamKind.NonEmptyList && items.Count == 0) throw ApiError.BadRequest($"{p.Name} must name at least one id");
                return new JsonArray(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
            case ParamKind.Csv:
                if (missing) throw ApiError.BadRequest($"{p.Name} is required (ids separated by commas)");
                var ids = raw is JsonArray ? Strings(p, raw) : Text(raw).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                if (ids.Count == 0) throw ApiError.BadRequest($"{p.Name} must name at least one id");
                if (ids.Count > MaxListItems) throw ApiError.BadRequest($"{p.Name} names more than {MaxListItems} ids");
                return JsonValue.Create(string.Join(',', ids));
            default:
                if (missing) return null;
                if (!long.TryParse(Text(raw), out var n) || n < 1 || n > p.Max) throw ApiError.BadRequest($"{p.Name} must be a whole number within 1..{p.Max}");
                return JsonValue.Create(n);
        }
    }

    private static List<string> Strings(RouteParam p, JsonNode raw)
    {
        if (raw is not JsonArray array) throw ApiError.BadRequest($"{p.Name} must be an array of strings");
        if (array.Count > MaxListItems) throw ApiError.BadRequest($"{p.Name} holds more than {MaxListItems} items");
        return array.Select(i => i is JsonValue value && value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number && Text(i) is { Length: > 0 and <= 256 } s
            ? s : throw ApiError.BadRequest($"{p.Name} must hold non-empty strings")).ToList();
    }

    private static string Fill(string template, IReadOnlyDictionary<string, JsonNode?> bound)
    {
        foreach (var (name, value) in bound) template = template.Replace("{" + name + "}", Text(value), StringComparison.OrdinalIgnoreCase);
        // Optional parameters not given leave their place empty.
        return System.Text.RegularExpressions.Regex.Replace(template, @"\{[A-Za-z]+\}", "");
    }
}
