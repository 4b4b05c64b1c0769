using System.Security.Cryptography;

namespace Herald.Core;

/// <summary>Ids and secrets Herald makes.</summary>
public static class Ids
{
    private const string Alphabet = "abcdefghijkmnopqrstuvwxyz23456789";

    /// <summary>A message id: time-ordered (UUIDv7), 32 hex digits, safe in any provider's ref field.</summary>
    public static string NewMessageId(TimeProvider time) => Guid.CreateVersion7(time.GetUtcNow()).ToString("N");

    /// <summary>A short random id with a prefix, e.g. <c>prv_k3n8...</c>.</summary>
    public static string NewId(string prefix, int length = 16) => prefix + "_" + RandomNumberGenerator.GetString(Alphabet, length);

    /// <summary>A 128-bit unguessable token, URL-safe.</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(16));

    /// <summary>A new API key: <c>hk_</c> and 32 random characters (about 160 bits).</summary>
    public static string NewApiKey() => "hk_" + RandomNumberGenerator.GetString(Alphabet + "ABCDEFGHJKLMNPQRSTUVWXYZ", 32);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
