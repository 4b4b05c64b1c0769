namespace Herald.Tests.Cli;

/// <summary><c>herald provider-groups ...</c> and <c>herald send --provider-group</c> through the real executable.</summary>
public sealed class ProviderGroupsCliTests : CliTestBase
{
    [Fact]
    public async Task ProviderGroups_AddListShowSendRemove_Work()
    {
        await CreateProviderAsync("Primary");
        var backupId = await CreateProviderAsync("Backup");

        var bad = await RunAsync("provider-groups", "add", "--name", "otp-route", "--providers", "Primary,Nope");
        Assert.True(bad.ExitCode != 0, bad.ToString());
        Assert.Contains("Nope", bad.Stderr);

        var added = await RunAsync("provider-groups", "add", "--name", "otp-route", "--providers", $"Backup, Primary", "--failover-after", "3");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("Backup → Primary", added.Stdout);

        var list = await RunAsync("provider-groups", "list", "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var group = Assert.Single(list.Json["items"]!.AsArray())!;
        Assert.Equal(3, group["failoverAfterAttempts"]!.GetValue<int>());
        Assert.Equal(backupId, group["providers"]![0]!["id"]!.GetValue<string>());

        var show = await RunAsync("provider-groups", "show", "OTP-ROUTE");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("3 transient failure(s)", show.Stdout);

        var sent = await RunAsync("send", "--to", "+919812345678", "--body", "hi", "--provider-group", "otp-route", "--field", "sender=KLRHXA", "--json");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        var message = await Herald.GetMessageAsync(sent.Json["id"]!.GetValue<string>());
        Assert.Equal(backupId, message["provider"]!["id"]!.GetValue<string>());

        var both = await RunAsync("send", "--to", "+919812345678", "--body", "hi", "--provider-group", "otp-route", "--provider", "Primary");
        Assert.True(both.ExitCode == 2, both.ToString());

        var removed = await RunAsync("provider-groups", "remove", "otp-route");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Empty((await RunAsync("provider-groups", "list", "--json")).Json["items"]!.AsArray());
    }
}
