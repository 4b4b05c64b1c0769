namespace Herald.Dispatch.Intake;

/// <summary>
/// What the intake reads from the server's settings (section <c>Herald</c>; validated with the rest of them at start).
/// </summary>
public sealed class IntakeOptions
{
    /// <summary>A calling code (e.g. <c>+91</c>) for numbers written without one (<c>Herald:DefaultCountry</c>); none by default.</summary>
    public string? DefaultCountry { get; set; }

    /// <summary>The most segments one message may take unless its provider says otherwise (<c>Herald:MaxSegments</c>, default 10).</summary>
    public int MaxSegments { get; set; } = Herald.Core.Encoding.SegmentLimit.Default;
}
