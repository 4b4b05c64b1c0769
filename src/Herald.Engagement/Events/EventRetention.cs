using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Events;

/// <summary>How long events are kept (section <c>Herald:Events</c>).</summary>
public sealed class EventOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Events";

    /// <summary>
    /// Events received longer ago than this are removed (their per-contact counts stay). Default: none, events are kept.
    /// Segments that look back (e.g. "added_to_cart within P30D") need at least that much.
    /// </summary>
    public TimeSpan? Retention { get; set; }

    /// <summary>How often old events are looked for. Default 1 hour.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Events removed per statement, so a purge never holds the database for long. Default 1,000.</summary>
    public int PurgeBatch { get; set; } = 1000;
}

internal sealed class EventOptionsValidator : IValidateOptions<EventOptions>
{
    public ValidateOptionsResult Validate(string? name, EventOptions options)
    {
        var failures = new List<string>();
        if (options.Retention is { } retention && retention < TimeSpan.FromHours(1))
        {
            failures.Add("Herald:Events:Retention must be at least 1 hour (e.g. 90.00:00:00 for 90 days), or unset to keep events.");
        }
        if (options.PurgeInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add("Herald:Events:PurgeInterval must be at least 1 second.");
        }
        if (options.PurgeBatch is < 1 or > 100_000)
        {
            failures.Add("Herald:Events:PurgeBatch must be between 1 and 100000.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Removes events older than Herald:Events:Retention, a step of the one retention loop (<see cref="IRetentionStep"/>).</summary>
internal sealed class EventRetention(IEventStore events, IOptions<EventOptions> options) : IRetentionStep
{
    public string Name => "contact events";

    public TimeSpan? Interval => options.Value.Retention is null ? null : options.Value.PurgeInterval;

    public int BatchSize => options.Value.PurgeBatch;

    public Task<int> RunBatchAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        events.PurgeAsync(now - options.Value.Retention!.Value, BatchSize, cancellationToken);
}
