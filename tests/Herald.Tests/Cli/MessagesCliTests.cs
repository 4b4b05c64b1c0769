using System.Text.Json.Nodes;

namespace Herald.Tests.Cli;

/// <summary><c>herald messages list|show</c> and <c>herald send</c> through the real executable.</summary>
public sealed class MessagesCliTests : CliTestBase
{
    private async Task<string> DeliveredTestSmsAsync(string providerId, string mobile)
    {
        var id = (await Herald.TestSmsAsync(providerId, mobile))["messageId"]!.GetValue<string>();
        await Herald.WaitForStatusAsync(id, "delivered");
        return id;
    }

    [Fact]
    public async Task MessagesListAndShow_DeliveredMessage_ShowItAndItsTimeline()
    {
        var providerId = await CreateProviderAsync();
        var first = await DeliveredTestSmsAsync(providerId, "9812345670");
        var second = await DeliveredTestSmsAsync(providerId, "9812345671");

        var list = await RunAsync("messages", "list", "--provider", "Kaleyra_SMS");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(first, list.Stdout);
        Assert.Contains(second, list.Stdout);
        Assert.Contains("+919812345670", list.Stdout);
        Assert.Contains("delivered", list.Stdout);

        var show = await RunAsync("messages", "show", first);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("Timeline", show.Stdout);
        Assert.Contains("dispatching", show.Stdout);
        Assert.Contains("provider-response", show.Stdout);
        Assert.Contains("dlr", show.Stdout);
        Assert.Contains("delivered", show.Stdout);
        Assert.Contains("Kaleyra_SMS", show.Stdout);

        var json = await RunAsync("messages", "show", first, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal("delivered", json.Json["status"]!.GetValue<string>());
        // The delivery report's entry carries the record as received (a relay entry may come after it).
        Assert.Equal(first, json.Json["timeline"]!.AsArray().Last(e => e!["source"]?.GetValue<string>() == "dlr")!["detail"]!["meta"]!.GetValue<string>());
    }

    [Fact]
    public async Task MessagesListAll_OnePerPage_FollowsThePagesToTheEnd()
    {
        var providerId = await CreateProviderAsync();
        var first = await DeliveredTestSmsAsync(providerId, "9812345670");
        var second = await DeliveredTestSmsAsync(providerId, "9812345671");

        var all = await RunAsync("messages", "list", "--limit", "1", "--all", "--json");
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Equal([second, first], all.Json["items"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
        var one = await RunAsync("messages", "list", "--limit", "1");
        Assert.Contains("More: add --all, or --cursor", one.Stdout);
    }

    [Fact]
    public async Task MessagesShow_UnknownId_ExitsOneWithTheApiDetail()
    {
        var result = await RunAsync("messages", "show", "0000000000000000000000000000dead");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No message has the id '0000000000000000000000000000dead'.", result.Stderr);
    }

    [Fact]
    public async Task MessagesList_BadStatus_ExitsOneNamingTheStates()
    {
        var result = await RunAsync("messages", "list", "--status", "lost");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'lost' is not a state", result.Stderr);
    }

    [Fact]
    public async Task Send_Wait_DeliveredPrintsTheTimelineAndExitsZero()
    {
        await CreateProviderAsync();

        var result = await RunAsync("send", "--to", "+919812345678", "--body", "Your OTP is 123456", "--provider", "Kaleyra_SMS", "--type", "otp",
            "--sender", "KLRHXA", "--field", "type=OTP", "--wait", "--timeout", "20s");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("waiting for its delivery report", result.Stdout);
        Assert.Contains("status: delivered", result.Stdout);
        Assert.Contains("Timeline", result.Stdout);
        Assert.Contains("provider-response", result.Stdout);
        Assert.Contains("+919812345678", result.Stdout);
    }

    [Fact]
    public async Task Send_WaitForARejectedNumber_ExitsThree()
    {
        await CreateProviderAsync();

        // The simulator reports numbers ending in 0001 failed with 901 (DND): rejected.
        var result = await RunAsync("send", "--to", "+919812340001", "--body", "hello", "--provider", "Kaleyra_SMS", "--sender", "KLRHXA",
            "--field", "type=TXN", "--wait", "--timeout", "20s");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("rejected", result.Stdout);
    }

    [Fact]
    public async Task Send_JsonWithIdempotencyKey_SameKeyAnswersTheSameMessage()
    {
        await CreateProviderAsync();
        string[] send = ["send", "--to", "+919812345678", "--body", "hello", "--provider", "Kaleyra_SMS", "--sender", "KLRHXA", "--field", "type=TXN",
            "--idempotency-key", "order-42", "--json"];

        var first = await RunAsync(send);
        var again = await RunAsync(send);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("queued", first.Json["status"]!.GetValue<string>());
        Assert.Equal(first.Json["id"]!.GetValue<string>(), again.Json["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_UnknownProvider_ExitsOneWithTheApiDetail()
    {
        var result = await RunAsync("send", "--to", "+919812345678", "--body", "hello", "--provider", "Nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Nope", result.Stderr);
    }

    [Fact]
    public async Task Send_NeitherBodyNorTemplate_ExitsTwo()
    {
        var result = await RunAsync("send", "--to", "+919812345678");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--body", result.Stderr);
    }
}
