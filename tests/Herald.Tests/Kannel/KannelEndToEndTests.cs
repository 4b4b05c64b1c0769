using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Kannel;

/// <summary>
/// Herald's generic provider, configured from settings only, sending through a real Kannel 1.4.5 (bearerbox + smsbox, test.sh installs
/// Debian's <c>kannel</c>): Kannel's sendsms answer is read by answer rules, and its <c>dlr-url</c> reports (with <c>%d</c>) come back
/// to the provider's callback URL and are read by the Kannel preset. Set HERALD_KANNEL_TRANSCRIPT to a file to keep the exchange.
/// </summary>
public sealed class KannelEndToEndTests : IAsyncLifetime
{
    private HeraldInstance _herald = null!;
    private KannelGateway _kannel = null!;
    private readonly StringBuilder _transcript = new();

    public async ValueTask InitializeAsync()
    {
        // Not a skip: test.sh installs Kannel like PostgreSQL and Chromium, so a missing Kannel is a broken machine.
        Assert.True(KannelGateway.Installed,
            $"Kannel is not installed ({KannelGateway.Bearerbox}, {KannelGateway.Smsbox}): run ./test.sh, which installs it, or apt-get install -y kannel.");
        _kannel = await KannelGateway.StartAsync(TestContext.Current.CancellationToken);
        _herald = await HeraldInstance.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_herald is not null)
        {
            await _herald.DisposeAsync();
        }
        if (_kannel is not null)
        {
            await _kannel.DisposeAsync();
        }
    }

    /// <summary>The Kannel recipe of docs/generic-provider.md, field for field.</summary>
    private object Recipe(string nickname, string password = KannelGateway.Password) => new
    {
        nickname,
        kind = "generic",
        settings = new
        {
            requestType = "GET",
            endpoint = $"http://127.0.0.1:{_kannel.SendsmsPort}/cgi-bin/sendsms",
            bodyType = "form",
            parameters = new object[]
            {
                new { key = "username", value = KannelGateway.Username },
                new { key = "password", value = password },
                new { key = "from", value = "$$Sender" },
                new { key = "to", value = "$$To" },
                new { key = "text", value = "$$Body" },
                new { key = "dlr-mask", value = "31" },
                new { key = "dlr-url", value = "$$CallbackURL?id=$$MessageID&status=%d&answer=%A&smsc-id=%F&at=%T" },
            },
            response = new { successPattern = "^(0: Accepted|3: Queued)", permanentFailurePattern = "^(Authorization failed|Sender missing|Receiver missing)" },
            reports = new { preset = "kannel" },
        },
    };

    private async Task<string> CreateProviderAsync(string nickname, string password = KannelGateway.Password)
    {
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", Recipe(nickname, password)), HttpStatusCode.Created);
        return created["id"]!.GetValue<string>();
    }

    private async Task<JsonObject> SendAsync(string providerId, string mobile, string text) =>
        await _herald.TestSmsAsync(providerId, mobile, text, new { sender = "HERALD" });

    [Fact]
    public async Task Kannel_SendThroughGenericProvider_AcceptedThenSentThenDelivered()
    {
        var ct = TestContext.Current.CancellationToken;
        var providerId = await CreateProviderAsync("Kannel");

        var result = await SendAsync(providerId, "9812340001", "Your order has shipped");
        var messageId = result["messageId"]!.GetValue<string>();
        Note("Herald's request as sent", $"{result["request"]!["method"]} {result["request"]!["url"]}");
        Note("Kannel's answer", $"{result["response"]!["status"]} {result["response"]!["body"]}");
        Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
        Assert.StartsWith("0: Accepted for delivery", result["response"]!["body"]!.GetValue<string>(), StringComparison.Ordinal);

        // Kannel hands it to the operator, which takes it: Kannel reports 8 (SMSC accepted) to the dlr-url.
        await _herald.WaitForStatusAsync(messageId, "sent");
        var mt = await TestHttp.EventuallyAsync(() => Task.FromResult(_kannel.Received.FirstOrDefault(r => r.To.EndsWith("9812340001", StringComparison.Ordinal)) is { OperatorId: not null } r ? (object)r : null),
            "the operator to receive the MT");
        var (to, text, operatorId, request) = ((string, string, string?, string))mt;
        Note("Kannel's request to the operator (generic HTTP SMSC)", request);
        Assert.Equal("Your order has shipped", text);

        // The operator reports delivery to Kannel; Kannel reports 1 to Herald.
        Note("The operator's delivery report to Kannel", await _kannel.PushReportAsync(operatorId!, to, 1, ct));
        var delivered = await _herald.WaitForStatusAsync(messageId, "delivered");

        var reports = delivered["timeline"]!.AsArray().Where(e => e!["source"]!.GetValue<string>() == "dlr").ToList();
        Assert.Equal(["sent", "delivered"], reports.Select(e => e!["state"]!.GetValue<string>()));
        foreach (var report in reports)
        {
            Note("The DLR as Herald received it", $"GET /dlr/{providerId}/<token>?{report!["detail"]!.GetValue<string>()}");
        }
        Note("The message's timeline", string.Join("\n", delivered["timeline"]!.AsArray().Select(e =>
            $"{e!["at"]}  {e["source"],-18} {e["event"],-22} {e["state"],-10} {e["result"]}  {e["note"]}")));
        await KeepTranscriptAsync();
    }

    [Fact]
    public async Task Kannel_OperatorRefusesTheNumber_Rejected()
    {
        var providerId = await CreateProviderAsync("Kannel");

        var result = await SendAsync(providerId, "9812340013", "Refused by the operator");

        // Kannel itself accepted it; its SMSC refused it, which Kannel reports as 16.
        Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
        var message = await _herald.WaitForStatusAsync(result["messageId"]!.GetValue<string>(), "rejected");
        var report = message["timeline"]!.AsArray().Last(e => e!["source"]!.GetValue<string>() == "dlr")!;
        Assert.Equal("16", report["event"]!.GetValue<string>());
    }

    [Fact]
    public async Task Kannel_OperatorReportsFailure_Undelivered()
    {
        var ct = TestContext.Current.CancellationToken;
        var providerId = await CreateProviderAsync("Kannel");
        var result = await SendAsync(providerId, "9812340002", "Phone off");
        var messageId = result["messageId"]!.GetValue<string>();
        await _herald.WaitForStatusAsync(messageId, "sent");
        var mt = _kannel.Received.First(r => r.To.EndsWith("9812340002", StringComparison.Ordinal));

        await _kannel.PushReportAsync(mt.OperatorId!, mt.To, 2, ct);

        await _herald.WaitForStatusAsync(messageId, "undelivered");
    }

    [Fact]
    public async Task Kannel_WrongPassword_KannelsErrorAnswerFailsTheMessage()
    {
        var providerId = await CreateProviderAsync("Kannel_BadPassword", password: "wrong");

        var result = await SendAsync(providerId, "9812340003", "Never sent");

        Assert.Equal("permanent-failure", result["outcome"]!.GetValue<string>());
        Assert.Contains("Authorization failed", result["response"]!["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("failed", (await _herald.GetMessageAsync(result["messageId"]!.GetValue<string>()))["status"]!.GetValue<string>());
    }

    private void Note(string title, string text) => _transcript.Append("== ").AppendLine(title).AppendLine(text).AppendLine();

    private async Task KeepTranscriptAsync()
    {
        TestContext.Current.TestOutputHelper?.WriteLine(_transcript.ToString());
        if (Environment.GetEnvironmentVariable("HERALD_KANNEL_TRANSCRIPT") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, _transcript.ToString(), TestContext.Current.CancellationToken);
        }
    }
}
