namespace Herald.Engagement.Campaigns;

/// <summary>A campaign's states: draft → scheduled → running ⇄ paused → completed, or cancelled from any but completed.</summary>
public static class CampaignStatus
{
    /// <summary>Being written; can be changed.</summary>
    public const string Draft = "draft";
    /// <summary>Launched, its audience frozen, waiting for its time.</summary>
    public const string Scheduled = "scheduled";
    /// <summary>Sending.</summary>
    public const string Running = "running";
    /// <summary>Stopped for now (by a person, or by itself above its error rate); resume continues.</summary>
    public const string Paused = "paused";
    /// <summary>Every recipient was sent, skipped or cancelled.</summary>
    public const string Completed = "completed";
    /// <summary>Stopped for good.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>States the runner works on.</summary>
    public static readonly string[] Active = [Scheduled, Running];
}

/// <summary>Turns a segment into the contacts a campaign freezes (implemented by the segments engine).</summary>
public interface ISegmentAudiences
{
    /// <summary>The segment's audience filter, or null when there is no such segment.</summary>
    Task<Herald.Storage.Records.CampaignAudience?> ResolveAsync(string segmentId, CancellationToken cancellationToken);
}

/// <summary>Writes one recipient's text from the campaign's body.</summary>
public interface IRecipientRenderer
{
    /// <summary>The text for <paramref name="recipient"/>, or the reason it cannot be written (a skip reason).</summary>
    RenderResult Render(string body, Herald.Storage.Records.CampaignRecipient recipient);
}

/// <summary>A rendered text, or why there is none.</summary>
public sealed record RenderResult(string? Text, string? SkipReason);
