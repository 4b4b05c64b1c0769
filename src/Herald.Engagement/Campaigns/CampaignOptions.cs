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

    /// <summary>The most audience members a dry run evaluates (default 100,000); above it, the counts are those of the first ones by contact id.</summary>
    public int DryRunLimit { get; set; } = 100_000;

    /// <summary>
    /// Price per SMS segment by provider id or nickname, for the dry run's estimated cost (e.g. <c>Herald:Campaigns:Pricing:Kaleyra = 0.12</c>).
    /// Default: none, so no cost is estimated.
    /// </summary>
    public Dictionary<string, decimal> Pricing { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The currency of <see cref="Pricing"/>, shown with the estimate (e.g. <c>INR</c>). Default: none.</summary>
    public string? Currency { get; set; }
    /// <summary>
    /// The global control group, in percent of all contacts (0 to 20; default 0: none). A stable hash of the contact's id puts
    /// the same contacts in it for every campaign, and they are held out of every campaign that does not say
    /// <c>"globalControl": false</c>. Raising the share only adds contacts to the group.
    /// </summary>
    public double GlobalControlPercent { get; set; }
}
