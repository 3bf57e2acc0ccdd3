using System.Diagnostics.CodeAnalysis;

namespace OrleansWeCom;

/// <summary>A WeCom or WeChat user id as the host spells it: digits only (1688… coworkers, 788… customers).</summary>
[GenerateSerializer, Immutable]
public readonly record struct WxId([property: Id(0)] string Value)
{
    public static bool TryParse([NotNullWhen(true)] string? text, out WxId id)
    {
        id = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var trimmed = text.Trim();
        if (trimmed.Length > 32 || !trimmed.All(char.IsAsciiDigit)) return false;
        id = new WxId(trimmed);
        return true;
    }

    /// <summary>Orders ids as numbers, which is how the host orders the two sides of a one-to-one conversation.</summary>
    public static int CompareNumerically(string a, string b)
    {
        var byLength = a.TrimStart('0').Length.CompareTo(b.TrimStart('0').Length);
        return byLength != 0 ? byLength : string.CompareOrdinal(a.TrimStart('0'), b.TrimStart('0'));
    }

    public override string ToString() => Value;
}

/// <summary>A corp (企业) id as carried in user_login's corp_id.</summary>
[GenerateSerializer, Immutable]
public readonly record struct CorpId([property: Id(0)] string Value)
{
    public override string ToString() => Value;
}

[GenerateSerializer, Immutable]
public readonly record struct TenantId([property: Id(0)] string Value)
{
    public static bool TryParse([NotNullWhen(true)] string? text, out TenantId id)
    {
        id = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 64) return false;
        if (!text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return false;
        id = new TenantId(text);
        return true;
    }

    public override string ToString() => Value;
}

/// <summary>A container's name on its host (the seed's <c>hostname</c>, the callbacks' <c>source</c>).</summary>
[GenerateSerializer, Immutable]
public readonly record struct HostName([property: Id(0)] string Value)
{
    public static bool TryParse([NotNullWhen(true)] string? text, out HostName id)
    {
        id = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 128) return false;
        if (!text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return false;
        id = new HostName(text);
        return true;
    }

    public override string ToString() => Value;
}

/// <summary>
/// <c>S:{smaller id}_{larger id}</c> for a one-to-one chat, <c>R:{roomId}</c> for a room, as the seed defines them.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct ConversationId([property: Id(0)] string Value)
{
    public bool IsRoom => Value.StartsWith("R:", StringComparison.Ordinal);

    /// <summary>The room id without the <c>R:</c> prefix, for a room conversation.</summary>
    public string? RoomId => IsRoom ? Value[2..] : null;

    public static ConversationId Single(WxId a, WxId b) =>
        WxId.CompareNumerically(a.Value, b.Value) <= 0 ? new($"S:{a}_{b}") : new($"S:{b}_{a}");

    public const int MaxLength = 67;

    public static ConversationId Room(string roomId) => new($"R:{roomId}");

    /// <summary>Parses and checks the form; for <c>S:</c> ids also that <paramref name="owner"/> is one side.</summary>
    public static bool TryParse(string? text, WxId? owner, out ConversationId id, out string error)
    {
        id = default;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "conversationId is required";
            return false;
        }

        // The longest valid form is S:<32 digits>_<32 digits>; longer text is neither stored nor echoed.
        if (text.Length > MaxLength)
        {
            error = $"conversationId is longer than {MaxLength} characters";
            return false;
        }

        if (text.StartsWith("R:", StringComparison.Ordinal))
        {
            if (text.Length == 2 || !text.AsSpan(2).ToString().All(char.IsAsciiDigit))
            {
                error = $"conversationId '{text}' is not a room id of the form R:<digits>";
                return false;
            }

            id = new ConversationId(text);
            return true;
        }

        if (!text.StartsWith("S:", StringComparison.Ordinal))
        {
            error = $"conversationId '{text}' must start with S: (one-to-one) or R: (room)";
            return false;
        }

        var parts = text[2..].Split('_');
        if (parts.Length != 2 || !WxId.TryParse(parts[0], out var first) || !WxId.TryParse(parts[1], out var second))
        {
            error = $"conversationId '{text}' is not of the form S:<id>_<id>";
            return false;
        }

        if (WxId.CompareNumerically(first.Value, second.Value) > 0)
        {
            error = $"conversationId '{text}' must list the smaller id first: {Single(first, second)}";
            return false;
        }

        if (owner is { } o && first != o && second != o)
        {
            error = $"conversationId '{text}' does not include the sending account {o}";
            return false;
        }

        id = new ConversationId(text);
        return true;
    }

    public override string ToString() => Value;
}
