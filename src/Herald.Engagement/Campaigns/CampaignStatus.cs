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
