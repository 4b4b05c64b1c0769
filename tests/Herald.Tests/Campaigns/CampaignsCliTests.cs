using Herald.Tests.Cli;

namespace Herald.Tests.Campaigns;

/// <summary><c>herald campaigns ...</c> through the real executable, sending through the simulator.</summary>
public sealed class CampaignsCliTests : CliTestBase
{
    [Fact]
    public async Task Campaigns_AddLaunchReportWatch_EndsWithEveryMessageDelivered()
    {
        var provider = await CreateProviderAsync();
        // Numbers ending in 0009: the simulator always delivers them.
        await TestContacts.SeedAsync(Herald, 25, phone: i => $"+49151{200 + i:D4}0009");
        var file = Path.Combine(Directory.CreateTempSubdirectory("herald-campaign-").FullName, "offer.json");
        await File.WriteAllTextAsync(file, $$"""
            { "name": "Diwali offer", "allContacts": true, "provider": "{{provider}}", "sender": "HERALD", "body": "Diwali sale: 20% off today", "throttle": { "perSecond": 50 } }
            """, Ct);

        var added = await RunAsync("campaigns", "add", "--from-file", file, "--json");
        Assert.True(added.ExitCode == 0, added.ToString());
        var id = added.Json["id"]!.GetValue<string>();
        var launched = await RunAsync("campaigns", "launch", id);
        Assert.True(launched.ExitCode == 0, launched.ToString());
        Assert.Contains("running", launched.Stdout);
        var list = await RunAsync("campaigns", "list");
        Assert.Contains("Diwali offer", list.Stdout);

        var watched = await RunAsync("campaigns", "report", id, "--watch");
        Assert.True(watched.ExitCode == 0, watched.ToString());
        Assert.Contains("completed", watched.Stdout);
        Assert.Contains("Recipients", watched.Stdout);
        Assert.Contains("Delivery rate", watched.Stdout);

        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
        while (true)
        {
            var report = await RunAsync("campaigns", "report", id, "--json");
            if (report.Json["messages"]?["delivered"]?.GetValue<long>() == 25)
            {
                Assert.Equal(1.0, report.Json["deliveryRate"]!.GetValue<double>());
                break;
            }
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, report.ToString());
            await Task.Delay(200, Ct);
        }
        var results = await RunAsync("campaigns", "report", id);
        Assert.Contains("All sent", results.Stdout);
        var csv = await RunAsync("campaigns", "report", id, "--csv");
        Assert.True(csv.ExitCode == 0, csv.ToString());
        Assert.StartsWith("campaign_id,campaign,group,name,recipients,", csv.Stdout, StringComparison.Ordinal);
        Assert.Contains(",Diwali offer,sent,all,25,25,", csv.Stdout, StringComparison.Ordinal);
        var again = await RunAsync("campaigns", "launch", id);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("only a draft can be launched", again.Stderr);
    }

    [Fact]
    public async Task Campaigns_DryRun_PrintsTheCountsAndSamplesAndSendsNothing()
    {
        var provider = await CreateProviderAsync();
        await TestContacts.SeedAsync(Herald, 3, phone: i => $"+49151{300 + i:D4}0009");
        var file = Path.Combine(Directory.CreateTempSubdirectory("herald-campaign-").FullName, "offer.json");
        await File.WriteAllTextAsync(file, $$"""
            { "name": "Dry offer", "contactIds": ["ct_0", "ct_1", "ct_2", "ct_2"], "provider": "{{provider}}", "sender": "HERALD", "body": "Diwali sale: 20% off today" }
            """, Ct);
        var id = (await RunAsync("campaigns", "add", "--from-file", file, "--json")).Json["id"]!.GetValue<string>();

        var dry = await RunAsync("campaigns", "dry-run", id);

        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("Would send", dry.Stdout);
        Assert.Contains("duplicate-number", dry.Stdout);
        Assert.Contains("Samples", dry.Stdout);
        var json = await RunAsync("campaigns", "dry-run", id, "--json");
        Assert.Equal(3, json.Json["wouldSend"]!.GetValue<long>());
        Assert.Equal(1, json.Json["skipped"]!["duplicate-number"]!.GetValue<long>());
        Assert.Equal("draft", (await RunAsync("campaigns", "show", id, "--json")).Json["status"]!.GetValue<string>());
    }
}
