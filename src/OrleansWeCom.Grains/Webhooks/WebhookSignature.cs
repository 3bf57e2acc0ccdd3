using System.Security.Cryptography;
using System.Text;

namespace OrleansWeCom.Grains.Webhooks;

/// <summary>Standard Webhooks v1: <c>v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))</c>, key = base64 after <c>whsec_</c>.</summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The key bytes of a <c>whsec_</c> secret, or null when it is not one (24 to 64 bytes of base64).</summary>
    public static byte[]? KeyOf(string? secret)
    {
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal)) return null;
        var buffer = new byte[64];
        return Convert.TryFromBase64String(secret[SecretPrefix.Length..], buffer, out var written) && written is >= 24 and <= 64
            ? buffer[..written]
            : null;
    }

    public static string Sign(byte[] key, string id, long timestampSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestampSeconds}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }
}
