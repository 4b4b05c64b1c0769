using System.Text.Json.Nodes;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.Kaleyra;

/// <summary>Batch sends: up to 100 recipients of the same content per request, each message mapped to its own message_id.</summary>
public sealed class KaleyraBatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<OutboundMessage> Messages(int count, string body = "Spring sale: 20% off", int offset = 0) =>
        Enumerable.Range(offset, count)
            .Select(i => KaleyraFixture.Message(body: body, to: KaleyraFixture.Number(i), messageId: $"msg_{i:D4}", campaignId: "cmp_1"))
            .ToList();

    private static string[] To(StubRequest request) => request.FormFields["to"].Split(',');

    [Fact]
    public void MaxBatchSize_Always_Is100()
    {
        Assert.Equal(100, KaleyraFixture.BatchSender(KaleyraFixture.Settings()).MaxBatchSize);
    }

    [Fact]
    public async Task SendBatchAsync_250SameBody_ThreeRequestsOf100_100_50EachMessageWithItsOwnId()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        KaleyraFixture.AnswerLikeKaleyra(stub);
        var messages = Messages(250);

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(messages, Ct);

        Assert.Equal([100, 100, 50], stub.Requests.Select(r => To(r).Length));
        Assert.Equal(messages.Select(m => m.To.E164), stub.Requests.SelectMany(To));
        Assert.All(stub.Requests, r =>
        {
            var form = r.FormFields;
            Assert.Equal("Spring sale: 20% off", form["body"]);
            Assert.Equal("cmp_1", form["ref1"]);
            Assert.False(form.ContainsKey("ref")); // one ref cannot name 100 messages: reports correlate on message_id
            Assert.Contains(KaleyraFixture.CallbackUrl.AbsoluteUri, form["callback"]);
        });
        Assert.Equal(250, results.Count);
        for (var i = 0; i < 250; i++)
        {
            var expected = $"k{i / 100 + 1}:{i % 100 + 1}";
            Assert.Equal(new SendOutcome.Accepted(expected), results[i].Outcome);
        }
        Assert.Equal(250, results.Select(r => ((SendOutcome.Accepted)r.Outcome).ProviderMessageId).Distinct().Count());
    }

    [Fact]
    public async Task SendBatchAsync_TwoBodiesInterleaved_OneRequestPerContent()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        KaleyraFixture.AnswerLikeKaleyra(stub);
        var messages = Enumerable.Range(0, 6)
            .Select(i => KaleyraFixture.Message(body: i % 2 == 0 ? "Body A" : "आपका कोड B", to: KaleyraFixture.Number(i), messageId: $"m{i}"))
            .ToList();

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(messages, Ct);

        Assert.Equal(2, stub.Requests.Count);
        var a = stub.Requests[0].FormFields;
        var b = stub.Requests[1].FormFields;
        Assert.Equal("Body A", a["body"]);
        Assert.Equal(string.Join(',', KaleyraFixture.Number(0), KaleyraFixture.Number(2), KaleyraFixture.Number(4)), a["to"]);
        Assert.False(a.ContainsKey("unicode"));
        Assert.Equal("आपका कोड B", b["body"]);
        Assert.Equal(string.Join(',', KaleyraFixture.Number(1), KaleyraFixture.Number(3), KaleyraFixture.Number(5)), b["to"]);
        Assert.Equal("1", b["unicode"]);
        Assert.Equal(["k1:1", "k2:1", "k1:2", "k2:2", "k1:3", "k2:3"], results.Select(r => ((SendOutcome.Accepted)r.Outcome).ProviderMessageId));
    }

    [Fact]
    public async Task SendBatchAsync_DifferentSenderTypeOrTemplate_SplitByContent()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        KaleyraFixture.AnswerLikeKaleyra(stub);
        var messages = new List<OutboundMessage>
        {
            KaleyraFixture.Message(to: KaleyraFixture.Number(0), messageId: "m0"),
            KaleyraFixture.Message(to: KaleyraFixture.Number(1), messageId: "m1", sender: "OTHERS"),
            KaleyraFixture.Message(to: KaleyraFixture.Number(2), messageId: "m2", type: MessageTypes.Otp),
            KaleyraFixture.Message(to: KaleyraFixture.Number(3), messageId: "m3", templateId: KaleyraFixture.TemplateId),
            KaleyraFixture.Message(to: KaleyraFixture.Number(4), messageId: "m4"),
        };

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(messages, Ct);

        Assert.Equal(4, stub.Requests.Count);
        Assert.Equal([2, 1, 1, 1], stub.Requests.Select(r => To(r).Length));
        Assert.All(results, r => Assert.IsType<SendOutcome.Accepted>(r.Outcome));
        Assert.Equal("k1:2", ((SendOutcome.Accepted)results[4].Outcome).ProviderMessageId);
    }

    [Fact]
    public async Task SendBatchAsync_RequestOfOne_CarriesTheMessageIdInRef()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        KaleyraFixture.AnswerLikeKaleyra(stub);

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(Messages(101), Ct);

        Assert.Equal([100, 1], stub.Requests.Select(r => To(r).Length));
        Assert.Equal("msg_0100", stub.Requests[1].FormFields["ref"]);
        Assert.Equal(new SendOutcome.Accepted("k2:1"), results[100].Outcome);
    }

    [Fact]
    public async Task SendBatchAsync_SameNumberTwice_NeverTwiceInOneRequest()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        KaleyraFixture.AnswerLikeKaleyra(stub);
        var messages = new List<OutboundMessage>
        {
            KaleyraFixture.Message(to: KaleyraFixture.Number(0), messageId: "m0"),
            KaleyraFixture.Message(to: KaleyraFixture.Number(0), messageId: "m1"),
            KaleyraFixture.Message(to: KaleyraFixture.Number(1), messageId: "m2"),
        };

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(messages, Ct);

        Assert.All(stub.Requests, r => Assert.Equal(To(r).Length, To(r).Distinct().Count()));
        Assert.Equal(["k1:1", "k2:1", "k1:2"], results.Select(r => ((SendOutcome.Accepted)r.Outcome).ProviderMessageId));
    }

    [Theory]
    [InlineData(503, typeof(SendOutcome.Transient))]
    [InlineData(400, typeof(SendOutcome.Permanent))]
    [InlineData(401, typeof(SendOutcome.Permanent))]
    public async Task SendBatchAsync_RequestFails_EveryMessageInItGetsTheFailure(int status, Type outcome)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var count = 0;
        stub.RespondWith(request => Interlocked.Increment(ref count) == 2
            ? StubResponse.Json("""{"error":{"code":"E999","message":"Batch refused"}}""", status)
            : KaleyraFixture.Success(request, "ok" + count));

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(Messages(250), Ct);

        Assert.Equal(3, stub.Requests.Count);
        Assert.All(results.Take(100), r => Assert.IsType<SendOutcome.Accepted>(r.Outcome));
        Assert.All(results.Skip(100).Take(100), r =>
        {
            Assert.IsType(outcome, r.Outcome);
            Assert.Equal(status, r.Exchange!.Response!.Status);
        });
        Assert.Single(results.Skip(100).Take(100).Select(r => r.Outcome).Distinct());
        Assert.All(results.Skip(200), r => Assert.IsType<SendOutcome.Accepted>(r.Outcome));
    }

    [Fact]
    public async Task SendBatchAsync_Timeout_EveryMessageTransient()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        stub.RespondWith(StubResponse.Json("{}") with { Delay = TimeSpan.FromSeconds(10) });
        var settings = KaleyraFixture.Settings(stub);
        settings["timeoutSeconds"] = 1;

        var results = await KaleyraFixture.BatchSender(settings).SendBatchAsync(Messages(5), Ct);

        Assert.All(results, r => Assert.Contains("timeout", Assert.IsType<SendOutcome.Transient>(r.Outcome).Reason));
    }

    [Fact]
    public async Task SendBatchAsync_AnswerInAnotherOrder_MappedByRecipient()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        stub.RespondWith(request =>
        {
            var answer = JsonNode.Parse(KaleyraFixture.Success(request, "rev").Body)!;
            var data = answer["data"]!.AsArray().Select(d => d!.DeepClone()).Reverse().ToArray();
            answer["data"] = new JsonArray(data);
            return StubResponse.Json(answer.ToJsonString());
        });

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(Messages(3), Ct);

        Assert.Equal(["rev:1", "rev:2", "rev:3"], results.Select(r => ((SendOutcome.Accepted)r.Outcome).ProviderMessageId));
    }

    [Fact]
    public async Task SendBatchAsync_RecipientMissingFromAnswer_PermanentForThatMessageOnly()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        stub.RespondWith(request =>
        {
            var answer = JsonNode.Parse(KaleyraFixture.Success(request, "part").Body)!;
            answer["data"]!.AsArray().RemoveAt(1);
            return StubResponse.Json(answer.ToJsonString());
        });

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(Messages(3), Ct);

        Assert.Equal(new SendOutcome.Accepted("part:1"), results[0].Outcome);
        var missing = Assert.IsType<SendOutcome.Permanent>(results[1].Outcome);
        Assert.Contains(KaleyraFixture.Number(1), missing.Reason);
        Assert.Equal("missing-recipient", missing.Code);
        Assert.Equal(new SendOutcome.Accepted("part:3"), results[2].Outcome);
    }

    [Fact]
    public async Task SendBatchAsync_MessageThatCannotBeSent_PermanentForItOthersSent()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        KaleyraFixture.AnswerLikeKaleyra(stub);
        var messages = Messages(3);
        messages[1] = messages[1] with { TemplateId = "not-a-template" };

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(messages, Ct);

        var invalid = Assert.IsType<SendOutcome.Permanent>(results[1].Outcome);
        Assert.Contains("templateId", invalid.Reason);
        Assert.Null(results[1].Exchange);
        Assert.Equal(2, To(stub.Only).Length);
        Assert.Equal(new SendOutcome.Accepted("k1:2"), results[2].Outcome);
    }

    [Fact]
    public async Task SendBatchAsync_Empty_NoRequest()
    {
        await using var stub = await StubProvider.StartAsync(Ct);

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync([], Ct);

        Assert.Empty(results);
        Assert.Empty(stub.Requests);
    }

    [Fact]
    public async Task SendBatchAsync_CancelledBeforeAnyRequest_Throws()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(Messages(5), cancelled.Token));
        Assert.Empty(stub.Requests);
    }

    [Fact]
    public async Task SendBatchAsync_CancelledAfterFirstRequest_KeepsItsResultsRestTransient()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var count = 0;
        stub.RespondWith(request =>
        {
            if (Interlocked.Increment(ref count) == 1)
            {
                return KaleyraFixture.Success(request, "first");
            }
            shutdown.Cancel(); // shutdown while the second request is in flight
            return StubResponse.Json("{}") with { Delay = TimeSpan.FromSeconds(10) };
        });

        var results = await KaleyraFixture.BatchSender(KaleyraFixture.Settings(stub)).SendBatchAsync(Messages(250), shutdown.Token);

        Assert.All(results.Take(100), r => Assert.IsType<SendOutcome.Accepted>(r.Outcome));
        Assert.All(results.Skip(100), r => Assert.Contains("cancelled", Assert.IsType<SendOutcome.Transient>(r.Outcome).Reason));
        Assert.Equal(2, stub.Requests.Count);
    }
}
