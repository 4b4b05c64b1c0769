namespace Herald.Engagement.Campaigns;

/// <summary>How the campaign runner works (section <c>Herald:Campaigns</c>).</summary>
public sealed class CampaignOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Campaigns";

    /// <summary>Whether this node sends campaigns (default true; every node may, recipients are claimed under leases).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the runner looks for work when it found none (default 500 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Recipients claimed and stored per transaction (default 500).</summary>
    public int ChunkSize { get; set; } = 500;

    /// <summary>How long a claim holds recipients before another node may take them (default 2 minutes).</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);
}
