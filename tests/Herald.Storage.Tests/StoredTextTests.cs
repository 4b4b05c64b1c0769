using Herald.Storage.Messages;
using Herald.Storage.Records;
using Herald.Storage.Reports;

namespace Herald.Storage.Tests;

/// <summary>The short stored forms of a timeline detail and a report's answer read back exactly as given.</summary>
public sealed class StoredTextTests
{
    [Theory]
    [InlineData("POST", "http://127.0.0.1:42153/connector/sms", 200, 10,
        """{"request":{"method":"POST","url":"http://127.0.0.1:42153/connector/sms"},"response":{"status":200},"elapsedMs":10,"bodiesKept":false}""")]
    [InlineData("GET", "https://api.example.com/send?to=+9197&sender=AB&x='y'", 202, 1234,
        """{"request":{"method":"GET","url":"https://api.example.com/send?to=+9197&sender=AB&x='y'"},"response":{"status":202},"elapsedMs":1234,"bodiesKept":false}""")]
    public void Compact_AcceptedSummary_StoresItShorterAndReadsItBackAsItsJson(string method, string url, int status, long elapsedMs, string json)
    {
        var stored = StoredDetail.Compact(new ExchangeSummary(method, url, status, elapsedMs));

        Assert.True(stored.Length < json.Length - 50, stored);
        Assert.Equal(json, StoredDetail.Expand(stored));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("""{"ts":1796661049,"meta":"01a25157ec4f775190969da4d591d8cb","description":"Delivered to handset"}""")]
    [InlineData("""{"request":{"method":"POST","url":"http://x/"},"response":{"status":200},"elapsedMs":10,"bodiesKept":false}""")]
    [InlineData("""{"request":{"method":"POST","url":"http://x/"},"response":{"status":500,"headers":[],"body":"no","truncated":false},"elapsedMs":3}""")]
    [InlineData("not json at all")]
    public void Of_AnyOtherDetail_StoresItAsGiven(string? detail)
    {
        var change = new StateChange { Source = "dispatch", Event = "x", Detail = detail };

        Assert.Equal(detail, StoredDetail.Of(change));
        Assert.Equal(detail, StoredDetail.Expand(StoredDetail.Of(change)));
    }

    [Theory]
    [InlineData("http://x/\"q\"")]
    [InlineData("http://x/a\\b")]
    [InlineData("http://x/\u001F")]
    [InlineData("http://x/é")]
    public void IsPlain_TextJsonWouldEscape_IsNotPlain(string url) => Assert.False(ExchangeSummary.IsPlain(url));

    [Theory]
    [InlineData("DELIVERED", "2026-12-07T18:01:08.0000000+00:00", "DELIVERED (reported at 2026-12-07T18:01:08.0000000+00:00)", true)]
    [InlineData(null, "2026-12-07T18:01:08.1230000+00:00", "reported at 2026-12-07T18:01:08.1230000+00:00", true)]
    [InlineData("code 1: x", "2026-12-07T18:01:08.0000000+05:30", "code 1: x (reported at 2026-12-07T18:01:08.0000000+05:30)", false)]
    [InlineData("UNDELIV", "2026-12-07T18:01:08.0000001+00:00", "UNDELIV (reported at 2026-12-07T18:01:08.0000001+00:00)", false)]
    [InlineData("DELIVERED", null, "DELIVERED", false)]
    public void StoredNote_ReportTime_StoredShortWhereItCanBeAndReadBackAsTheNote(string? note, string? reportedAt, string expected, bool shorter)
    {
        var at = reportedAt is null ? (DateTimeOffset?)null : DateTimeOffset.Parse(reportedAt, System.Globalization.CultureInfo.InvariantCulture);

        var stored = StoredNote.Of(note, at);

        Assert.Equal(expected, StoredNote.Full(note, at));
        Assert.Equal(expected, StoredNote.Expand(stored));
        Assert.Equal(shorter, stored!.Length < expected.Length - 20);
    }

    [Theory]
    [InlineData("""{"status":"success","processed":1,"unprocessed":[]}""", "1")]
    [InlineData("""{"status":"success","processed":100,"unprocessed":[]}""", "100")]
    [InlineData("""{"status":"success","processed":0,"unprocessed":[]}""", "0")]
    public void Compact_PlainSuccessAnswer_StoresItsCount(string answer, string stored)
    {
        Assert.Equal(stored, StoredAnswer.Compact(answer));
        Assert.Equal(answer, StoredAnswer.Expand(stored));
    }

    [Theory]
    [InlineData("""{"status":"partial","processed":1,"unprocessed":[{"status":"fail","code":"unknown_message","error":"x","record":null}]}""")]
    [InlineData("""{"status":"fail","processed":0,"unprocessed":[],"error":"bad body"}""")]
    [InlineData("""{"status":"success","processed":01,"unprocessed":[]}""")]
    public void Compact_AnyOtherAnswer_StoresItAsGiven(string answer)
    {
        Assert.Equal(answer, StoredAnswer.Compact(answer));
        Assert.Equal(answer, StoredAnswer.Expand(answer));
    }
}
