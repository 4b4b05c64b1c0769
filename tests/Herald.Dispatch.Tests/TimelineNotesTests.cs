namespace Herald.Dispatch.Tests;

public class TimelineNotesTests
{
    [Theory]
    [InlineData("The service is temporarily unavailable; retry later (simulated).", "attempt 2 at 10:00", "The service is temporarily unavailable; retry later (simulated); attempt 2 at 10:00")]
    [InlineData("provider answered 503", "attempt 2 at 10:00", "provider answered 503; attempt 2 at 10:00")]
    [InlineData("timed out. ", "attempt 3 at 10:00", "timed out; attempt 3 at 10:00")]
    [InlineData("", "attempt 2 at 10:00", "attempt 2 at 10:00")]
    [InlineData(null, "attempt 2 at 10:00", "attempt 2 at 10:00")]
    public void Then_ReasonEndingInFullStop_OneSentenceWithoutDotSemicolon(string? reason, string next, string expected)
    {
        Assert.Equal(expected, TimelineNotes.Then(reason, next));
    }
}
