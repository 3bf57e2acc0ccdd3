using System.Security.Cryptography;
using System.Text;

namespace OrleansWeCom.Grains.Sending;

/// <summary>
/// Idempotency keys: a key belongs to the tenant and answers, for as long as its outbox row is kept, with the msgId of
/// the send first accepted under it; the same key with a different request is refused (422), never silently dropped.
/// </summary>
public sealed partial class AccountGrain
{
    private readonly IdempotencyCache _idempotency = new(options.Value.IdempotencyCacheSize);

    /// <summary>
    /// The msgId of the send the tenant accepted under <paramref name="key"/> when it is this request; null when the key
    /// is unused; a <see cref="WeComException"/> when it was used for another request.
    /// </summary>
    private async Task<string?> AcceptedUnderAsync(string key, OutboundMessage message)
    {
        var earlier = _idempotency.Find(key);
        if (earlier is null && await outbox.FindByIdempotencyKeyAsync(Container!.Tenant.Value, key) is { } row)
        {
            earlier = IdempotentSend.Of(row);
            if (row.WxId == WxId) _idempotency.Remember(key, earlier);
        }

        return earlier is null ? null : SameRequest(key, earlier, message);
    }

    /// <summary>The earlier send's msgId if it was this request (same account, kind and body); 422 otherwise.</summary>
    private string SameRequest(string key, IdempotentSend earlier, OutboundMessage message) =>
        earlier.WxId == WxId && earlier.Kind == message.Kind && earlier.BodyHash == IdempotentSend.Hash(message.BodyJson)
            ? earlier.MsgId
            : throw new WeComException(ErrorCodes.IdempotencyKeyReused,
                $"Idempotency-Key '{key}' was already used for a different request (msgId {earlier.MsgId}); use a new key for a new send");

    /// <summary>The insert found the key used: by an earlier send (answered as above) or, in a race, by one not yet visible.</summary>
    private async Task<string> KeyTakenAsync(string? key, OutboundMessage message)
    {
        if (key is null) throw new InvalidOperationException($"account {WxId}: a send without an idempotency key was not inserted");
        return await AcceptedUnderAsync(key, message)
            ?? throw new WeComException(ErrorCodes.Conflict, $"Idempotency-Key '{key}' is being used by another send right now; retry");
    }
}

/// <summary>What a key answers with and what it was used for (the body by its hash, so the cache holds no bodies).</summary>
internal sealed record IdempotentSend(string MsgId, string WxId, SendKind Kind, string BodyHash)
{
    public static IdempotentSend Of(OutboxRow row) => new(row.MsgId, row.WxId, row.Kind, Hash(row.Body));

    public static string Hash(string body) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
}

/// <summary>The most recent keys of one account, at most <c>capacity</c>; the oldest is forgotten first.</summary>
internal sealed class IdempotencyCache(int capacity)
{
    private readonly Dictionary<string, LinkedListNode<(string Key, IdempotentSend Send)>> _byKey = [];
    private readonly LinkedList<(string Key, IdempotentSend Send)> _order = new();

    public int Count => _byKey.Count;

    public void Clear()
    {
        _byKey.Clear();
        _order.Clear();
    }

    public IdempotentSend? Find(string key) => _byKey.TryGetValue(key, out var node) ? node.Value.Send : null;

    public void Remember(string key, IdempotentSend send)
    {
        if (capacity == 0) return;
        if (_byKey.Remove(key, out var existing)) _order.Remove(existing);
        _byKey[key] = _order.AddLast((key, send));
        while (_byKey.Count > capacity && _order.First is { } oldest)
        {
            _order.RemoveFirst();
            _byKey.Remove(oldest.Value.Key);
        }
    }
}
