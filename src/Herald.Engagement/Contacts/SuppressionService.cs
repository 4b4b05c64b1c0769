using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Engagement.Contacts;

/// <summary>What adding to the suppression list did: the entry, or the fields to fix.</summary>
/// <param name="Suppression">The entry as stored.</param>
/// <param name="Errors">Field → what to fix.</param>
public sealed record SuppressionOutcome(SuppressionRecord? Suppression, IReadOnlyDictionary<string, string>? Errors);

/// <summary>The suppression list's rules: which reasons and categories there are, and adding a number.</summary>
public interface ISuppressionService
{
    /// <summary>Adds a number (or replaces its reason and categories). <paramref name="categories"/> null or empty means all (<c>*</c>).</summary>
    Task<SuppressionOutcome> AddAsync(string? phone, string? reason, IReadOnlyList<string>? categories, string source, CancellationToken cancellationToken);
}

internal sealed class SuppressionService(ContactRules rules, ISuppressionStore suppressions, TimeProvider time) : ISuppressionService
{
    /// <summary>Why a number is on the list.</summary>
    public static IReadOnlyList<string> Reasons { get; } = ["opt-out", "complaint", "invalid", "manual"];

    public async Task<SuppressionOutcome> AddAsync(string? phone, string? reason, IReadOnlyList<string>? categories, string source, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string>();
        if (!rules.TryPhone(phone, null, out var number, out var error))
        {
            errors["phone"] = error!;
        }
        var why = reason?.Trim().ToLowerInvariant();
        if (why is null || !Reasons.Contains(why))
        {
            errors["reason"] = $"reason is one of {string.Join(", ", Reasons)}.";
        }
        var list = (categories ?? []).OfType<string>().Select(c => c.Trim().ToLowerInvariant()).Where(c => c.Length > 0).Distinct().ToList();
        var unknown = list.Where(c => c != "*" && !ContactRules.Categories.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            errors["categories"] = $"'{unknown[0]}' is not a category: use {string.Join(", ", ContactRules.Categories)}, or * (or nothing) for all.";
        }
        if (errors.Count > 0)
        {
            return new SuppressionOutcome(null, errors);
        }
        var now = time.GetUtcNow();
        var stored = await suppressions.UpsertAsync(new SuppressionRecord
        {
            Phone = number!.E164,
            Reason = why!,
            Categories = list.Count == 0 || list.Contains("*") || ContactRules.Categories.All(list.Contains) ? "*" : string.Join(',', ContactRules.Categories.Where(list.Contains)),
            Source = source,
            CreatedAt = now,
            UpdatedAt = now,
        }, cancellationToken);
        return new SuppressionOutcome(stored, null);
    }
}
