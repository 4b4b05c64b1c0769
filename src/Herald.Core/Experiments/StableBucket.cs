using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Herald.Core.Experiments;

/// <summary>
/// A contact's place in an experiment: a bucket from 0 to 9,999 computed from a salt and the contact's id, the same on
/// every node, run and version (the first 8 bytes of SHA-256 over <c>salt:contactId</c>, modulo 10,000). Splits are
/// therefore deterministic (re-launching the same campaign puts everyone in the same group) and independent between
/// salts; a share of <c>p</c> percent is the buckets below <c>p × 100</c>, so raising a share only adds contacts to it.
/// </summary>
public static class StableBucket
{
    /// <summary>How many buckets there are (a share is exact to 0.01 %).</summary>
    public const int Count = 10_000;

    /// <summary>The bucket of <paramref name="contactId"/> under <paramref name="salt"/>: 0 to 9,999.</summary>
    public static int Of(string salt, string contactId)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(salt + ":" + contactId), hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % Count);
    }

    /// <summary>Whether the contact falls in the first <paramref name="percent"/> percent under <paramref name="salt"/>.</summary>
    public static bool IsIn(string salt, string contactId, double percent) => percent > 0 && Of(salt, contactId) < percent * (Count / 100.0);

    /// <summary>
    /// Which of several groups with these percentages (summing to 100) the contact falls in: the first group takes the
    /// lowest buckets, the next the following ones. Rounding leftovers go to the last group.
    /// </summary>
    public static int Pick(string salt, string contactId, IReadOnlyList<double> percents)
    {
        var bucket = Of(salt, contactId);
        var upTo = 0.0;
        for (var i = 0; i < percents.Count - 1; i++)
        {
            upTo += percents[i] * (Count / 100.0);
            if (bucket < upTo)
            {
                return i;
            }
        }
        return percents.Count - 1;
    }
}
