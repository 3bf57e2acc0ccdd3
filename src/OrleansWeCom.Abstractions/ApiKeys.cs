using System.Security.Cryptography;
using System.Text;

namespace OrleansWeCom;

/// <summary>API keys are never stored: only their SHA-256, which also keys the <see cref="IApiKeyGrain"/>.</summary>
public static class ApiKeys
{
    public static string Hash(string apiKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));

    /// <summary>A fresh key: 32 random bytes, URL-safe, prefixed so that leaked keys are easy to recognise.</summary>
    public static string Generate() =>
        "wk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
