using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansWeCom.Gateway.Http;

/// <summary>Accepts the seed's <c>["a","b"]</c> and, leniently, a single string.</summary>
public sealed class StringOrArrayConverter : JsonConverter<IReadOnlyList<string>?>
{
    public override IReadOnlyList<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return [reader.GetString()!];
            case JsonTokenType.StartArray:
                var list = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String) throw new JsonException("expected an array of strings");
                    list.Add(reader.GetString()!);
                }

                return list;
            default:
                throw new JsonException("expected a string or an array of strings");
        }
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string>? value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value?.ToArray(), options);
}
