namespace Herald.Dispatch;

/// <summary>Builds the notes the dispatcher writes on a message's timeline.</summary>
public static class TimelineNotes
{
    /// <summary>
    /// A reason followed by what happens next, in one sentence: <c>retry later (simulated); attempt 2 at …</c>. A reason is
    /// often a provider's own sentence; its closing full stop is dropped so the note does not read <c>(simulated).;</c>.
    /// </summary>
    public static string Then(string? reason, string next)
    {
        var text = (reason ?? "").Trim().TrimEnd('.', ';', ' ');
        return text.Length == 0 ? next : $"{text}; {next}";
    }
}
