namespace Herald.Core.Messaging;

/// <summary>The message types Herald knows, as they appear on the wire.</summary>
public static class MessageTypes
{
    /// <summary>One-time passwords: the fastest lane.</summary>
    public const string Otp = "otp";
    /// <summary>Transactional alerts.</summary>
    public const string Transactional = "txn";
    /// <summary>Anything else.</summary>
    public const string Default = "default";
    /// <summary>Marketing / promotional.</summary>
    public const string Marketing = "mkt";
    /// <summary>A test SMS sent from a provider's settings.</summary>
    public const string Test = "test";

    /// <summary>Every accepted type.</summary>
    public static IReadOnlyList<string> All { get; } = [Otp, Transactional, Default, Marketing, Test];

    /// <summary>Normalises a caller's type (case-insensitive); null when unknown.</summary>
    public static string? Normalize(string? type) =>
        string.IsNullOrWhiteSpace(type) ? Default : All.FirstOrDefault(t => string.Equals(t, type.Trim(), StringComparison.OrdinalIgnoreCase));
}
