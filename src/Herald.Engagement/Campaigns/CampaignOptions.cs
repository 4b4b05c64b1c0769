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

    /// <summary>
    /// The global control group, in percent of all contacts (0 to 20; default 0: none). A stable hash of the contact's id puts
    /// the same contacts in it for every campaign, and they are held out of every campaign that does not say
    /// <c>"globalControl": false</c>. Raising the share only adds contacts to the group.
    /// </summary>
    public double GlobalControlPercent { get; set; }
}
