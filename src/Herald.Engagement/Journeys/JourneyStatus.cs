namespace Herald.Engagement.Journeys;

/// <summary>A journey's states: draft → active ⇄ paused. An instance is active or exited.</summary>
public static class JourneyStatus
{
    /// <summary>Never published: nobody enters.</summary>
    public const string Draft = "draft";
    /// <summary>Published: contacts enter and move on.</summary>
    public const string Active = "active";
    /// <summary>Held: nobody enters and no timer fires until it is resumed (events still end waits and goals still count).</summary>
    public const string Paused = "paused";

    /// <summary>An instance on its way.</summary>
    public const string InstanceActive = "active";
    /// <summary>An instance that left.</summary>
    public const string InstanceExited = "exited";
}
