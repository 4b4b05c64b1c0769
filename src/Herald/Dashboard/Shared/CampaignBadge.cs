namespace Herald.Dashboard.Shared;

/// <summary>The badge colour of a campaign's state, in the palette of message states.</summary>
internal static class CampaignBadge
{
    public static string Class(string status) => status switch
    {
        "completed" => "state-delivered",
        "running" => "state-sent",
        "cancelled" => "state-failed",
        "paused" => "state-undelivered",
        _ => "state-queued",
    };
}
