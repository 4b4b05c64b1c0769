namespace Herald.Storage;

/// <summary>
/// One kind of data the retention loop removes or blanks when it is past its retention (messages, their content, contact
/// events). The loop runs each step every <see cref="Interval"/>: batch after batch, a pause between two, until a batch
/// comes back smaller than <see cref="BatchSize"/>.
/// </summary>
public interface IRetentionStep
{
    /// <summary>What the step removes, for the log (e.g. "message content").</summary>
    string Name { get; }

    /// <summary>How often the step runs; null when its retention is off (it never runs).</summary>
    TimeSpan? Interval { get; }

    /// <summary>The most rows one batch handles.</summary>
    int BatchSize { get; }

    /// <summary>Handles at most <see cref="BatchSize"/> rows past retention at <paramref name="now"/>, in one short transaction; answers how many it looked at.</summary>
    Task<int> RunBatchAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
