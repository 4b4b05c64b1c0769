using Herald.Tests.Infrastructure;

namespace Herald.Tests.Cli;

/// <summary><c>herald dlr tail</c> through the real executable.</summary>
public sealed class DlrCliTests : CliTestBase
{
    [Fact]
    public async Task DlrTail_ReportArrivesWhileRunning_PrintsIt()
    {
        var providerId = await CreateProviderAsync();
        await using var tail = HeraldProcess.Start(["dlr", "tail", "--last", "0", "--interval", "200ms", .. Connection()]);
        await tail.WaitForOutputAsync("Following delivery reports", TimeSpan.FromSeconds(15));

        var messageId = (await Herald.TestSmsAsync(providerId, "9812345678"))["messageId"]!.GetValue<string>();

        // The CleverTap-format report carries the message id as "meta".
        await tail.WaitForOutputAsync(messageId, TimeSpan.FromSeconds(10));
        var line = tail.Output.Split('\n').Single(l => l.Contains(messageId, StringComparison.Ordinal));
        Assert.Contains("Kaleyra_SMS", line);
        Assert.Contains("POST", line);
        Assert.Contains("delivered", line);
        Assert.False(tail.HasExited);
    }

    [Fact]
    public async Task DlrTail_Last_PrintsRecentReportsFirst_AsJsonLines()
    {
        var providerId = await CreateProviderAsync();
        var messageId = (await Herald.TestSmsAsync(providerId, "9812345678"))["messageId"]!.GetValue<string>();
        await Herald.WaitForStatusAsync(messageId, "delivered");

        await using var tail = HeraldProcess.Start(["dlr", "tail", "--provider", "Kaleyra_SMS", "--json", .. Connection()]);
        await tail.WaitForOutputAsync(messageId, TimeSpan.FromSeconds(15));

        var line = tail.Output.Split('\n').Single(l => l.Contains(messageId, StringComparison.Ordinal));
        var item = System.Text.Json.Nodes.JsonNode.Parse(line)!;
        Assert.Equal(providerId, item["providerId"]!.GetValue<string>());
        Assert.Equal("success", item["result"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task DlrTail_UnknownProvider_ExitsOne()
    {
        var result = await RunAsync("dlr", "tail", "--provider", "Nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No provider has the id or nickname 'Nope'.", result.Stderr);
    }
}
