using System.Text.Json;
using Herald.Api.DeliveryReports;
using Herald.Core;

namespace Herald.Tests.DeliveryReports;

/// <summary>The answer stored with each callback is written as text on the usual path; it must read exactly as the serialiser's.</summary>
public sealed class DlrAnswerTextTests
{
    [Theory]
    [InlineData("success", 1)]
    [InlineData("success", 100)]
    [InlineData("fail", 0)]
    public void StoredText_AnswerWithNothingUnprocessed_SameAsSerialised(string status, int processed)
    {
        var answer = new DlrAnswer(status, processed, []);

        Assert.Equal(JsonSerializer.Serialize(answer, HeraldJson.Options), DlrProcessor.StoredText(answer));
    }

    [Fact]
    public void StoredText_AnswerWithUnprocessedRecordsOrError_Serialised()
    {
        var partial = new DlrAnswer("partial", 1, [new DlrUnprocessed("fail", "unknown_message", "No message \"x\"", null)]);
        var error = new DlrAnswer("fail", 0, [], "The body could not be read");

        Assert.Equal(JsonSerializer.Serialize(partial, HeraldJson.Options), DlrProcessor.StoredText(partial));
        Assert.Equal(JsonSerializer.Serialize(error, HeraldJson.Options), DlrProcessor.StoredText(error));
    }
}
