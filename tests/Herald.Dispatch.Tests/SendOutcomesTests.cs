using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Dispatch.Outcomes;

namespace Herald.Dispatch.Tests;

public class SendOutcomesTests
{
    private static SendResult Accepted(string url, string? error = null) => new(new SendOutcome.Accepted("pm-1"), new HttpExchange(
        new ExchangeRequest("POST", url, [new("Authorization", "***")], "to=%2B9197"),
        new ExchangeResponse(202, [new("Content-Type", "application/json")], """{"id":"pm-1"}""", false), 37, error));

    [Theory]
    [InlineData("http://127.0.0.1:42153/connector/sms")]
    [InlineData("https://api.example.com/send?to=+9197&sender=AB&x='y'&a=<b>")]
    public void Summary_AcceptedWithoutBodies_HoldsWhatTheDetailSays(string url)
    {
        var result = Accepted(url);

        var summary = SendOutcomes.Summary(result, keepBodies: false);

        Assert.Equal(new Herald.Storage.Records.ExchangeSummary("POST", url, 202, 37), summary);
        // The JSON the timeline spells out of the four values (StoredDetail.Expand) is the writer's, byte for byte.
        Assert.Equal($$"""{"request":{"method":"POST","url":"{{url}}"},"response":{"status":202},"elapsedMs":37,"bodiesKept":false}""",
            SendOutcomes.Detail(result, keepBodies: false));
    }

    [Fact]
    public void Summary_BodiesKeptOrUnusualExchange_IsNull()
    {
        Assert.Null(SendOutcomes.Summary(Accepted("http://x/"), keepBodies: true));
        Assert.Null(SendOutcomes.Summary(Accepted("http://x/\"q\""), keepBodies: false));
        Assert.Null(SendOutcomes.Summary(Accepted("http://x/", error: "late"), keepBodies: false));
        Assert.Null(SendOutcomes.Summary(new SendResult(new SendOutcome.Permanent("no"), Accepted("http://x/").Exchange), keepBodies: false));
    }
}
