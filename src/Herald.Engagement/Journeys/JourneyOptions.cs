namespace Herald.Engagement.Journeys;

/// <summary>How the journey runner works (section <c>Herald:Journeys</c>).</summary>
public sealed class JourneyOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Journeys";

    /// <summary>Whether this node runs journeys (default true; every node may, instances and events are claimed under leases).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the runner looks for due instances and new events when it found none (default 500 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Due instances claimed and stored per transaction (default 500).</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Events taken from the journey inbox per pass (default 1000).</summary>
    public int EventBatchSize { get; set; } = 1000;

    /// <summary>How long a claim holds instances or events before another node may take them (default 2 minutes).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a journey triggered by entering a segment evaluates its segment (default 60 s; 1 s to 1 day).</summary>
    public TimeSpan SegmentEvaluationInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// After contacts or events change on this node, a segment trigger last evaluated at least this long ago (and before the
    /// change) is evaluated at once instead of at its interval (default 5 s; at most the interval, which turns this off).
    /// </summary>
    public TimeSpan SegmentChangeDelay { get; set; } = TimeSpan.FromSeconds(5);
}
