using System.Text;
using OrleansWeCom.Callbacks;
using OrleansWeCom.Gateway.Http;
using OrleansWeCom.Gateway.Mqtt;
using OrleansWeCom.Gateway.Sending;

namespace OrleansWeCom.Fuzz;

/// <summary>
/// The parsers a stranger's bytes reach first. Each refuses bad input with its own error (a parse error, an
/// <see cref="ApiError"/>); any other exception escapes and is a crash for the fuzzer.
/// </summary>
public static class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["callback"] = Callback,
        ["send"] = Send,
        ["mqtt"] = Mqtt,
        ["ids"] = Ids,
    };

    /// <summary>A host's callback body, as the callback endpoint parses it.</summary>
    public static void Callback(byte[] input)
    {
        if (CallbackParser.TryParse(input, out var envelope, out _))
            _ = CallbackStreams.KeyOf(envelope);
    }

    /// <summary>A send body of every kind, as the HTTP send routes parse it.</summary>
    public static void Send(byte[] input)
    {
        var body = Refused(() => SendRequestParser.ParseObject(input));
        if (body is null) return;
        foreach (var kind in Enum.GetValues<SendKind>())
            Refused(() => SendRequestParser.Parse(kind, body, _ => 6L * 1024 * 1024));
    }

    /// <summary>An MQTT SendMessage payload: the body, the id echoed back, the route, then the send itself.</summary>
    public static void Mqtt(byte[] input)
    {
        var body = Refused(() => MqttSendMessage.ParseBody(input));
        if (body is null) return;
        _ = MqttSendMessage.IdOf(body);
        if (Refused(() => (object)MqttSendMessage.Route(body)) is ValueTuple<string, SendKind> route)
            Refused(() => SendRequestParser.Parse(route.Item2, body));
    }

    /// <summary>Every id type's parser on the input read as UTF-8 (ids arrive in paths, queries and bodies).</summary>
    public static void Ids(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        _ = WxId.TryParse(text, out _);
        _ = HostName.TryParse(text, out _);
        _ = TenantId.TryParse(text, out _);
        var owner = WxId.TryParse(text.Split('_')[^1], out var w) ? w : (WxId?)null;
        _ = ConversationId.TryParse(text, owner, out _, out _);
        _ = ConversationId.TryParse(text, null, out _, out _);
    }

    private static T? Refused<T>(Func<T> parse) where T : class
    {
        try
        {
            return parse();
        }
        catch (ApiError)
        {
            return null;
        }
    }
}
