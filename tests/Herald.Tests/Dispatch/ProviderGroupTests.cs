using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Dispatch;

/// <summary>Provider groups: the API, sending to a group, and failover between its providers.</summary>
public sealed class ProviderGroupTests
{
    private static Dictionary<string, string?> Fast(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Herald:Dispatch:RetryBaseDelay"] = "00:00:00.020",
            ["Herald:Dispatch:RetryMaxDelay"] = "00:00:00.100",
            ["Herald:Dispatch:PollInterval"] = "00:00:00.050",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }
        return settings;
    }

    private static async Task<string> CreateProviderAsync(HeraldInstance herald, string nickname, Uri url) =>
        (await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname, kind = "generic",
            settings = new { endpoint = url.ToString(), parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" } } },
        }), HttpStatusCode.Created))["id"]!.GetValue<string>();

    private static async Task<JsonObject> CreateGroupAsync(HeraldInstance herald, string name, string[] providers, int? failoverAfterAttempts = null) =>
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/provider-groups",
            new { name, providers, failoverAfterAttempts }), HttpStatusCode.Created);

    private static Task<StubProvider> CountingStubAsync(ConcurrentQueue<string> calls, string name, int status) =>
        StubProvider.StartAsync(async context =>
        {
            calls.Enqueue(name);
            if (status != 200)
            {
                context.Response.StatusCode = status;
                return;
            }
            await context.Response.WriteAsJsonAsync(new { id = $"{name}-1" });
        });

    private static async Task<string> SendToGroupAsync(HeraldInstance herald, string group) =>
        (await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to = "+919812345671", body = "hi", providerGroup = group }), HttpStatusCode.Accepted))["id"]!.GetValue<string>();

    private static List<JsonNode> Events(JsonObject message, string name) =>
        message["timeline"]!.AsArray().Where(e => e!["event"]!.GetValue<string>() == name).Select(e => e!).ToList();

    [Fact]
    public async Task Transient5xx_FailoverAfterN_RetryGoesToTheNextProviderAndTheTimelineNamesIt()
    {
        var calls = new ConcurrentQueue<string>();
        await using var primary = await CountingStubAsync(calls, "primary", 503);
        await using var backup = await CountingStubAsync(calls, "backup", 200);
        await using var herald = await HeraldInstance.StartAsync(extra: Fast(("Herald:Dispatch:CircuitBreakerThreshold", "10")));
        var primaryId = await CreateProviderAsync(herald, "Primary", primary.Url);
        var backupId = await CreateProviderAsync(herald, "Backup", backup.Url);
        await CreateGroupAsync(herald, "otp-route", ["Primary", backupId], failoverAfterAttempts: 2);

        var id = await SendToGroupAsync(herald, "OTP-ROUTE");
        var message = await herald.WaitForStatusAsync(id, "accepted");

        Assert.Equal(["primary", "primary", "backup"], calls);
        Assert.Equal(backupId, message["provider"]!["id"]!.GetValue<string>());
        Assert.Equal("Backup", message["provider"]!["nickname"]!.GetValue<string>());
        Assert.NotNull(message["providerGroupId"]);
        var failover = Assert.Single(Events(message, "failover"));
        Assert.Equal($"moved from Primary ({primaryId}) to Backup ({backupId}): 2 transient failure(s) in a row on Primary (group otp-route fails over after 2)",
            failover["note"]!.GetValue<string>());
        // "attempt N through Provider (id) by node/worker": the node part is checked by the cluster tests.
        var attempts = Events(message, "dispatching").Select(e => e["note"]!.GetValue<string>().Split(" by ")[0]).ToList();
        Assert.Equal([$"attempt 1 through Primary ({primaryId})", $"attempt 2 through Primary ({primaryId})", $"attempt 3 through Backup ({backupId})"], attempts);
    }

    [Fact]
    public async Task CircuitOpen_MessageOfAGroup_MovesToTheNextProviderRightAway()
    {
        var calls = new ConcurrentQueue<string>();
        await using var primary = await CountingStubAsync(calls, "primary", 503);
        await using var backup = await CountingStubAsync(calls, "backup", 200);
        await using var herald = await HeraldInstance.StartAsync(extra: Fast(
            ("Herald:Dispatch:CircuitBreakerThreshold", "2"),
            ("Herald:Dispatch:CircuitBreakDuration", "00:01:00")));
        var primaryId = await CreateProviderAsync(herald, "Primary", primary.Url);
        var backupId = await CreateProviderAsync(herald, "Backup", backup.Url);
        await CreateGroupAsync(herald, "route", [primaryId, backupId], failoverAfterAttempts: 10);

        var id = await SendToGroupAsync(herald, "route");
        var message = await herald.WaitForStatusAsync(id, "accepted");

        Assert.Equal(["primary", "primary", "backup"], calls);
        var failover = Assert.Single(Events(message, "failover"));
        Assert.Equal("dispatch", failover["source"]!.GetValue<string>());
        Assert.StartsWith($"moved from Primary ({primaryId}) to Backup ({backupId}): circuit open", failover["note"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(backupId, message["provider"]!["id"]!.GetValue<string>());

        // The next message of the group skips the open circuit's provider from its first attempt.
        var second = await herald.WaitForStatusAsync(await SendToGroupAsync(herald, "route"), "accepted");
        Assert.Equal(2, calls.Count(c => c == "primary"));
        Assert.Contains("circuit open", Assert.Single(Events(second, "failover"))["note"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProviderGroupsApi_BadInput_ProblemsNameTheField()
    {
        await using var stub = await StubProvider.StartAsync(context => context.Response.WriteAsJsonAsync(new { id = "x" }));
        await using var herald = await HeraldInstance.StartAsync();
        var a = await CreateProviderAsync(herald, "A", stub.Url);
        await CreateProviderAsync(herald, "B", stub.Url);

        async Task<JsonObject> Invalid(object body)
        {
            var response = await herald.Api.PostAsJsonAsync("/api/v1/provider-groups", body);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            return (await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest))["errors"]!.AsObject();
        }
        Assert.Contains("at least one provider", (await Invalid(new { name = "g", providers = Array.Empty<string>() }))["providers"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("'Nope'", (await Invalid(new { name = "g", providers = new[] { "A", "Nope" } }))["providers[1]"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("listed twice", (await Invalid(new { name = "g", providers = new[] { "A", a } }))["providers[1]"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull((await Invalid(new { name = "g", providers = new[] { "A" }, failoverAfterAttempts = 0 }))["failoverAfterAttempts"]);
        Assert.NotNull((await Invalid(new { providers = new[] { "A" } }))["name"]);

        var created = await CreateGroupAsync(herald, "Main", ["B", "A"]);
        Assert.StartsWith("grp_", created["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, created["failoverAfterAttempts"]!.GetValue<int>());
        Assert.Equal(["B", "A"], created["providers"]!.AsArray().Select(p => p!["nickname"]!.GetValue<string>()));
        Assert.NotNull((await Invalid(new { name = "MAIN", providers = new[] { "A" } }))["name"]);

        var updated = await HeraldInstance.ReadObjectAsync(await herald.Api.PutAsJsonAsync("/api/v1/provider-groups/main",
            new { name = "Main", providers = new[] { "A" }, failoverAfterAttempts = 3 }), HttpStatusCode.OK);
        Assert.Equal(3, updated["failoverAfterAttempts"]!.GetValue<int>());
        var listed = JsonNode.Parse(await herald.Api.GetStringAsync("/api/v1/provider-groups"))!["items"]!.AsArray();
        Assert.Equal(["A"], Assert.Single(listed)!["providers"]!.AsArray().Select(p => p!["nickname"]!.GetValue<string>()));

        var refused = await HeraldInstance.ReadObjectAsync(await herald.Api.DeleteAsync("/api/v1/providers/A"), HttpStatusCode.Conflict);
        Assert.Contains("Main", refused["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await herald.Api.DeleteAsync("/api/v1/provider-groups/Main")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await herald.Api.GetAsync("/api/v1/provider-groups/Main")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await herald.Api.DeleteAsync("/api/v1/providers/A")).StatusCode);
    }

    [Fact]
    public async Task SendMessage_ProviderAndProviderGroup_ExactlyOneIsAccepted()
    {
        await using var stub = await StubProvider.StartAsync(context => context.Response.WriteAsJsonAsync(new { id = "x" }));
        await using var herald = await HeraldInstance.StartAsync(extra: Fast());
        await CreateProviderAsync(herald, "A", stub.Url);
        var b = await CreateProviderAsync(herald, "B", stub.Url);
        await CreateGroupAsync(herald, "g", ["B", "A"]);

        var both = await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to = "+919812345671", body = "hi", provider = "A", providerGroup = "g" }), HttpStatusCode.BadRequest);
        Assert.Contains("not both", both["errors"]!["providerGroup"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        var unknown = await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to = "+919812345671", body = "hi", providerGroup = "nope" }), HttpStatusCode.BadRequest);
        Assert.Contains("'nope'", unknown["errors"]!["providerGroup"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var batch = await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/messages/batch", new
        {
            messages = new object[] { new { to = "+919812345671", body = "hi", providerGroup = "G" }, new { to = "+919812345672", body = "hi", providerGroup = "x", provider = "A" } },
        }), HttpStatusCode.Accepted);
        Assert.Equal(1, Assert.Single(batch["rejected"]!.AsArray())!["index"]!.GetValue<int>());
        var accepted = await herald.WaitForStatusAsync(Assert.Single(batch["accepted"]!.AsArray())!["id"]!.GetValue<string>(), "accepted");
        Assert.Equal(b, accepted["provider"]!["id"]!.GetValue<string>());
    }
}
