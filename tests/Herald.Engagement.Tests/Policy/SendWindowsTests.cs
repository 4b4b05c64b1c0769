using Herald.Engagement.Policy;

namespace Herald.Engagement.Tests.Policy;

public sealed class SendWindowsTests
{
    private static readonly TimeSpan Ist = TimeSpan.FromHours(5.5);

    [Fact]
    public void NextOpen_IndiaAt2300_IsTenTheNextMorning()
    {
        var now = new DateTimeOffset(2026, 12, 7, 23, 0, 0, Ist);

        Assert.Equal(new DateTimeOffset(2026, 12, 8, 10, 0, 0, Ist), SendWindows.NextOpen(now, SendWindows.India, new(10, 0), new(21, 0)));
    }

    [Fact]
    public void NextOpen_IndiaAt0930_IsTenTheSameMorning_AndInsideIsNull()
    {
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 10, 0, 0, Ist), SendWindows.NextOpen(new DateTimeOffset(2026, 12, 7, 9, 30, 0, Ist), SendWindows.India, new(10, 0), new(21, 0)));
        Assert.Null(SendWindows.NextOpen(new DateTimeOffset(2026, 12, 7, 20, 59, 0, Ist), SendWindows.India, new(10, 0), new(21, 0)));
        Assert.NotNull(SendWindows.NextOpen(new DateTimeOffset(2026, 12, 7, 21, 0, 0, Ist), SendWindows.India, new(10, 0), new(21, 0)));
    }

    [Fact]
    public void NextOpen_WindowWrappingMidnight_IsOpenLateAndEarly()
    {
        var utc = TimeZoneInfo.Utc;
        Assert.Null(SendWindows.NextOpen(new DateTimeOffset(2026, 12, 7, 23, 0, 0, TimeSpan.Zero), utc, new(22, 0), new(6, 0)));
        Assert.Null(SendWindows.NextOpen(new DateTimeOffset(2026, 12, 7, 5, 0, 0, TimeSpan.Zero), utc, new(22, 0), new(6, 0)));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 22, 0, 0, TimeSpan.Zero), SendWindows.NextOpen(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero), utc, new(22, 0), new(6, 0)));
    }

    [Fact]
    public void LegalWindow_ByCountryAndCategory()
    {
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        Assert.NotNull(SendWindows.LegalWindow("IN", MessageCategories.Promotional, SendWindows.India));
        Assert.NotNull(SendWindows.LegalWindow("IN", MessageCategories.ServiceExplicit, SendWindows.India));
        Assert.Null(SendWindows.LegalWindow("IN", MessageCategories.Transactional, SendWindows.India));
        Assert.Null(SendWindows.LegalWindow("IN", MessageCategories.ServiceImplicit, SendWindows.India));
        Assert.Equal(newYork, SendWindows.LegalWindow("US", MessageCategories.Promotional, newYork)!.Value.Zone);
        Assert.Null(SendWindows.LegalWindow("US", MessageCategories.Transactional, newYork));
        Assert.Null(SendWindows.LegalWindow("GB", MessageCategories.Promotional, TimeZoneInfo.Utc));
    }

    [Fact]
    public void ZoneOf_ContactZoneFirst_ThenTheNumbersCountry()
    {
        Assert.Equal("America/Chicago", SendWindows.ZoneOf("+14155550100", "America/Chicago").Id);
        Assert.Equal(SendWindows.India, SendWindows.ZoneOf("+919812345678", null));
        Assert.Equal("America/Los_Angeles", SendWindows.ZoneOf("+14155550100", null).Id);
    }
}
