using Microsoft.Extensions.Options;

namespace Herald.Storage;

/// <summary>
/// How long message data is kept (section <c>Herald:Retention</c>). A background loop removes what is past it in small
/// batches; messages are counted per day, provider, campaign and state before they go, so counts and charts survive.
/// Raw delivery reports follow <c>Herald:Dlr:Retention</c> (30 days) and contact events <c>Herald:Events:Retention</c>;
/// the audit log is never purged.
/// </summary>
public sealed class RetentionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Retention";

    /// <summary>
    /// After this, a message's content is blanked: its text, template variables and dynamic fields, and the raw request,
    /// response and report kept on its timeline. The message, its state and its timeline's events stay. Default 30 days;
    /// unset (null) keeps content as long as the message.
    /// </summary>
    public TimeSpan? Content { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// After this, a message and its timeline (and its delivered webhook outbox rows) are removed, once counted into the
    /// per-day aggregates. Messages still queued or being sent are kept. Default 180 days; unset (null) keeps messages.
    /// </summary>
    public TimeSpan? Messages { get; set; } = TimeSpan.FromDays(180);

    /// <summary>How often the loop looks for data past retention. Default 1 hour.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Messages blanked or removed per transaction. Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Pause between two batches, so the purge never holds the database's writer from sending for long. Default 100 ms.</summary>
    public TimeSpan BatchPause { get; set; } = TimeSpan.FromMilliseconds(100);
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var failures = new List<string>();
        if (options.Content is { } content && content < TimeSpan.FromDays(1))
        {
            failures.Add("Herald:Retention:Content must be at least 1 day (e.g. 30.00:00:00 for 30 days), or unset to keep message content.");
        }
        // The dashboard's charts and the provider figures look back 24 hours over live rows; a week keeps them whole.
        if (options.Messages is { } messages && messages < TimeSpan.FromDays(7))
        {
            failures.Add("Herald:Retention:Messages must be at least 7 days (e.g. 180.00:00:00 for 180 days), or unset to keep messages.");
        }
        if (options.Content is { } c && options.Messages is { } m && c > m)
        {
            failures.Add("Herald:Retention:Content must not be longer than Herald:Retention:Messages (content goes with its message).");
        }
        if (options.Interval < TimeSpan.FromSeconds(1))
        {
            failures.Add("Herald:Retention:Interval must be at least 1 second (e.g. 01:00:00).");
        }
        if (options.BatchSize is < 1 or > 5000)
        {
            failures.Add("Herald:Retention:BatchSize must be between 1 and 5000.");
        }
        if (options.BatchPause < TimeSpan.Zero || options.BatchPause > TimeSpan.FromMinutes(1))
        {
            failures.Add("Herald:Retention:BatchPause must be between 00:00:00 and 00:01:00.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
