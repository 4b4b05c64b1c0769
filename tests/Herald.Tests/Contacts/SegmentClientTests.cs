using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Contacts;

/// <summary>
/// Segment's own Node.js library, <c>@segment/analytics-node</c> 3.1 (installed by ./test.sh into the folder named by
/// <c>HERALD_TEST_SEGMENT_CLIENT</c>), unchanged, pointed at the real binary with host = Herald's URL and path = /api/v1/batch.
/// </summary>
public sealed class SegmentClientTests
{
    private const string Script = """
        const { Analytics } = require('@segment/analytics-node');
        const analytics = new Analytics({ writeKey: process.env.WRITE_KEY, host: process.env.HERALD_URL, path: '/api/v1/batch', maxRetries: 1 });
        const failures = [];
        analytics.on('error', (e) => failures.push(String(e && (e.reason || e.message || e))));
        analytics.on('http_response', (r) => console.log('http', r.status));
        analytics.identify({ userId: 'seg-user-1', traits: { phone: '+919812345600', firstName: 'Asha', plan: 'gold' } });
        analytics.track({ userId: 'seg-user-1', event: 'added_to_cart', properties: { value: 640, sku: 'TSHIRT-9' } });
        analytics.track({ userId: 'seg-user-1', event: 'added_to_cart', properties: { value: 120 } });
        analytics.track({ userId: 'seg-user-1', event: 'checkout_started' });
        analytics.page({ userId: 'seg-user-1', name: 'Home' });
        analytics.closeAndFlush({ timeout: 20000 }).then(() => {
          if (failures.length) { console.error('failures: ' + failures.join('; ')); process.exit(1); }
          console.log('flushed');
        });
        """;

    [Fact]
    public async Task AnalyticsNode_BatchToHerald_CreatesTheContactAndStoresItsEvents()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = Environment.GetEnvironmentVariable("HERALD_TEST_SEGMENT_CLIENT");
        Assert.True(!string.IsNullOrEmpty(client) && Directory.Exists(Path.Combine(client, "node_modules", "@segment", "analytics-node")),
            "HERALD_TEST_SEGMENT_CLIENT must name a folder where @segment/analytics-node@3.1.0 is installed: ./test.sh does this (npm install --prefix artifacts/segment-client).");
        var baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        const string key = "hk_segment_test_key_0123456789abcdef";
        await using var herald = HeraldProcess.Start(["serve", "--urls", baseUrl.ToString(), "--data-dir", Directory.CreateTempSubdirectory("herald-segment-").FullName],
            new Dictionary<string, string> { ["HERALD_API_KEY"] = key });
        await herald.WaitForOutputAsync("Herald is running");

        var script = Path.Combine(client!, "send-to-herald.js");
        await File.WriteAllTextAsync(script, Script, ct);
        var start = new ProcessStartInfo("node", [script]) { WorkingDirectory = client!, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["WRITE_KEY"] = key;
        start.Environment["HERALD_URL"] = baseUrl.ToString().TrimEnd('/');
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync(ct);
        var errors = node.StandardError.ReadToEndAsync(ct);
        await node.WaitForExitAsync(ct);
        TestContext.Current.SendDiagnosticMessage($"node: {await output} {await errors}");
        Assert.True(node.ExitCode == 0, $"analytics-node failed: {await output} {await errors}");
        Assert.Contains("http 200", await output, StringComparison.Ordinal);

        using var api = TestHttp.Create(baseUrl, key);
        var contact = Assert.Single((await HeraldInstance.ReadObjectAsync(await api.GetAsync("/api/v1/contacts?externalId=seg-user-1", ct), HttpStatusCode.OK))["items"]!.AsArray())!;
        Assert.Equal("+919812345600", contact["phone"]!.GetValue<string>());
        Assert.Equal("IN", contact["country"]!.GetValue<string>());
        Assert.Equal("Asha", contact["attributes"]!["firstName"]!.GetValue<string>());
        Assert.Equal("gold", contact["attributes"]!["plan"]!.GetValue<string>());
        var events = await HeraldInstance.ReadObjectAsync(await api.GetAsync($"/api/v1/contacts/{contact["id"]!.GetValue<string>()}/events", ct), HttpStatusCode.OK);
        Assert.Equal(5, events["items"]!.AsArray().Count);
        Assert.Equal(["identify", "page", "track", "track", "track"], events["items"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()).Order());
        Assert.Equal(640, events["items"]!.AsArray().Single(e => e!["properties"]?["sku"] is not null)!["properties"]!["value"]!.GetValue<int>());
        Assert.Equal([("added_to_cart", 2L), ("checkout_started", 1L)],
            events["counts"]!.AsArray().Select(s => (s!["name"]!.GetValue<string>(), s["count"]!.GetValue<long>())));
    }
}
