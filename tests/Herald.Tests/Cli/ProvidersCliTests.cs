using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Cli;

/// <summary><c>herald providers ...</c> through the real executable against a real server and simulator.</summary>
public sealed class ProvidersCliTests : CliTestBase
{
    private async Task<string> WriteFileAsync(object content)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("herald-cli-file-").FullName, "providers.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(content), Ct);
        return path;
    }

    [Fact]
    public async Task ProvidersAdd_FromFile_ListShowAndRemoveWork()
    {
        var file = await WriteFileAsync(new[] { SeedProvider("Kaleyra_SMS"), SeedProvider("Backup") });

        var added = await RunAsync("providers", "add", "--from-file", file);
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("Kaleyra_SMS", added.Stdout);
        Assert.Contains("Backup", added.Stdout);
        Assert.Contains($"{Herald.BaseUrl.ToString().TrimEnd('/')}/dlr/prv_", added.Stdout);

        var list = await RunAsync("providers", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("Kaleyra_SMS", list.Stdout);
        Assert.Contains("Backup", list.Stdout);
        Assert.Contains(Simulator.ConnectorUrl.ToString(), list.Stdout);

        var show = await RunAsync("providers", "show", "Kaleyra_SMS");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("****", show.Stdout);
        Assert.Contains("$$Sender", show.Stdout);
        Assert.Contains("/dlr/prv_", show.Stdout);
        Assert.DoesNotContain(SimulatorOptions.ApiKey, show.Output);
        Assert.DoesNotContain(SimulatorOptions.Sid, show.Output);

        var removed = await RunAsync("providers", "remove", "Backup");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        var after = await RunAsync("providers", "list", "--json");
        Assert.Equal(["Kaleyra_SMS"], after.Json["items"]!.AsArray().Select(p => p!["nickname"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ProvidersTest_SeedProvider_PrintsTheExchangeAndFollowsToDelivered()
    {
        await CreateProviderAsync();

        var test = await RunAsync("providers", "test", "Kaleyra_SMS", "--to", "+919812345678", "--message", "This is a test message powered by Kaleyra",
            "--field", "sender=KLRHXA", "--field", "type=OTP");
        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.Contains("Outcome: accepted", test.Stdout);
        Assert.Contains("Request sent (secrets masked)", test.Stdout);
        Assert.Contains("POST " + Simulator.ConnectorUrl, test.Stdout);
        Assert.Contains("to=%2B919812345678&sender=KLRHXA", test.Stdout);
        Assert.Contains("api-key: ****", test.Stdout);
        Assert.Contains("Provider's answer", test.Stdout);
        Assert.Contains("HTTP 200", test.Stdout);
        Assert.Contains("Status: delivered", test.Stdout);
        Assert.DoesNotContain(SimulatorOptions.ApiKey, test.Output);
    }

    [Fact]
    public async Task ProvidersExport_OmitsSecrets_AndAddFillsThemFromTheEnvironment()
    {
        await CreateProviderAsync("Kaleyra_SMS");
        var folder = Directory.CreateTempSubdirectory("herald-cli-export-").FullName;
        var exportFile = Path.Combine(folder, "providers.json");

        var export = await RunAsync("providers", "export", "Kaleyra_SMS", "--output", exportFile);
        Assert.True(export.ExitCode == 0, export.ToString());
        var text = await File.ReadAllTextAsync(exportFile, Ct);
        Assert.DoesNotContain(SimulatorOptions.ApiKey, text);
        Assert.DoesNotContain(SimulatorOptions.Sid, text);
        Assert.DoesNotContain("****", text);
        var exported = JsonNode.Parse(text)!["providers"]!.AsArray().Single()!;
        Assert.Equal("Kaleyra_SMS", exported["nickname"]!.GetValue<string>());
        Assert.Equal("generic", exported["kind"]!.GetValue<string>());
        Assert.Null(exported["id"]);
        var headers = exported["settings"]!["headers"]!.AsArray().ToDictionary(h => h!["key"]!.GetValue<string>(), h => h!["value"]!.GetValue<string>());
        Assert.Equal("${HERALD_SECRET_KALEYRA_SMS_API_KEY}", headers["api-key"]);
        Assert.Equal("${HERALD_SECRET_KALEYRA_SMS_SID}", headers["sid"]);
        Assert.Equal("api.in.kaleyra.io", headers["kaleyra-host"]);
        Assert.Contains("2 secret(s) omitted", export.Output);
        Assert.Contains("HERALD_SECRET_KALEYRA_SMS_API_KEY", export.Output);

        // Without a file, the JSON alone goes to standard output.
        var toStdout = await RunAsync("providers", "export");
        Assert.True(toStdout.ExitCode == 0, toStdout.ToString());
        Assert.Single(toStdout.Json["providers"]!.AsArray());
        Assert.Contains("secret(s) omitted", toStdout.Stderr);

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await Herald.Api.DeleteAsync("/api/v1/providers/Kaleyra_SMS", Ct)).StatusCode);
        var missing = await RunAsync("providers", "add", "--from-file", exportFile);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("HERALD_SECRET_KALEYRA_SMS_API_KEY, HERALD_SECRET_KALEYRA_SMS_SID", missing.Stderr);
        Assert.Empty(JsonNode.Parse(await Herald.Api.GetStringAsync("/api/v1/providers", Ct))!["items"]!.AsArray());

        var readded = await HeraldCliRunner.RunAsync(["providers", "add", "--from-file", exportFile, .. Connection()], new Dictionary<string, string>
        {
            ["HERALD_SECRET_KALEYRA_SMS_API_KEY"] = SimulatorOptions.ApiKey,
            ["HERALD_SECRET_KALEYRA_SMS_SID"] = SimulatorOptions.Sid,
        });
        Assert.True(readded.ExitCode == 0, readded.ToString());

        // The simulator accepts only the right api-key and sid: an accepted test SMS proves the secrets came back.
        var test = await RunAsync("providers", "test", "Kaleyra_SMS", "--to", "+919812345678", "--field", "sender=KLRHXA", "--field", "type=OTP", "--no-follow");
        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.Contains("Outcome: accepted", test.Stdout);
    }

    [Fact]
    public async Task ProvidersExportAndAdd_DeclaredReports_RoundTrip()
    {
        var reports = new
        {
            source = "json", records = "results", heraldId = "ref", providerId = "msgid", status = "status.code", errorCode = "err",
            statuses = new object[] { new { match = "DELIVRD", state = "delivered" }, new { match = "/^UNDELIV/", state = "undelivered" } },
            unknownStatus = "event", answer = new { status = 202, body = "ACK", contentType = "text/plain" },
        };
        var provider = JsonSerializer.SerializeToNode(SeedProvider("Declared"))!;
        provider["settings"]!["reports"] = JsonSerializer.SerializeToNode(reports);
        var created = await Herald.Api.PostAsJsonAsync("/api/v1/providers", provider, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var before = JsonNode.Parse(await Herald.Api.GetStringAsync("/api/v1/providers/Declared", Ct))!["settings"]!["reports"]!.ToJsonString();
        var exportFile = Path.Combine(Directory.CreateTempSubdirectory("herald-cli-export-").FullName, "providers.json");

        var export = await RunAsync("providers", "export", "Declared", "--output", exportFile);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Equal(HttpStatusCode.NoContent, (await Herald.Api.DeleteAsync("/api/v1/providers/Declared", Ct)).StatusCode);
        var readded = await HeraldCliRunner.RunAsync(["providers", "add", "--from-file", exportFile, .. Connection()], new Dictionary<string, string>
        {
            ["HERALD_SECRET_DECLARED_API_KEY"] = SimulatorOptions.ApiKey,
            ["HERALD_SECRET_DECLARED_SID"] = SimulatorOptions.Sid,
        });
        Assert.True(readded.ExitCode == 0, readded.ToString());

        var after = JsonNode.Parse(await Herald.Api.GetStringAsync("/api/v1/providers/Declared", Ct))!["settings"]!["reports"]!.ToJsonString();
        Assert.Equal(before, after);
        Assert.Contains("\"/^UNDELIV/\"", after);
    }

    [Fact]
    public async Task ProvidersShow_UnknownProvider_ExitsOneWithTheApiDetail()
    {
        var result = await RunAsync("providers", "show", "Nope");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No provider has the id or nickname 'Nope'.", result.Stderr);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task ProvidersAdd_InvalidProvider_ExitsOneWithTheFieldErrors()
    {
        var file = await WriteFileAsync(new { nickname = "Broken", kind = "generic", settings = new { requestType = "POST", bodyType = "form" } });

        var result = await RunAsync("providers", "add", "--from-file", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Broken:", result.Stderr);
        Assert.Contains("endpoint", result.Stderr);
    }

    [Fact]
    public async Task ProvidersTest_ProviderRefuses_ExitsThreeWithTheReason()
    {
        await CreateProviderAsync();

        var result = await RunAsync("providers", "test", "Kaleyra_SMS", "--to", "+919812340004", "--field", "sender=KLRHXA", "--field", "type=OTP");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("Outcome: permanent-failure", result.Stdout);
        Assert.Contains("Reason:", result.Stdout);
        Assert.Contains("HTTP 400", result.Stdout);
    }

    [Fact]
    public async Task ProvidersListAndTest_Json_PrintOneJsonDocument()
    {
        await CreateProviderAsync();

        var list = await RunAsync("providers", "list", "--json");
        var test = await RunAsync("providers", "test", "Kaleyra_SMS", "--to", "+919812345678", "--field", "sender=KLRHXA", "--field", "type=OTP", "--json");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal("Kaleyra_SMS", list.Json["items"]![0]!["nickname"]!.GetValue<string>());
        Assert.True(test.ExitCode == 0, test.ToString());
        Assert.Equal("accepted", test.Json["test"]!["outcome"]!.GetValue<string>());
        Assert.Equal("delivered", test.Json["message"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task SecretFlag_FlaggedRowsAndEndpointQuery_MaskedInApiTimelineAndExport_ButSentInClear()
    {
        var provider = JsonSerializer.SerializeToNode(SeedProvider("Flagged"))!;
        var settings = provider["settings"]!;
        settings["endpoint"] = Simulator.ConnectorUrl + "?api_key=query-secret-4321";
        settings["headers"]!.AsArray().Add(new JsonObject { ["key"] = "X-Auth-Key", ["value"] = "auth-key-secret-8765", ["secret"] = true });
        settings["headers"]!.AsArray().Add(new JsonObject { ["key"] = "X-Region", ["value"] = "region-visible-1", ["secret"] = false });
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = "access_key", ["value"] = "access-secret-2468", ["secret"] = true });
        var created = await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsJsonAsync("/api/v1/providers", provider, Ct), HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        string[] secrets = ["query-secret-4321", "auth-key-secret-8765", "access-secret-2468"];

        var shown = await Herald.Api.GetStringAsync("/api/v1/providers", Ct) + await Herald.Api.GetStringAsync($"/api/v1/providers/{id}", Ct);
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, shown));
        Assert.Contains("api_key=****", shown);
        Assert.Contains("region-visible-1", shown); // explicitly not secret

        // The masked settings sent back keep every stored secret, and the provider gets them in clear.
        var fetched = JsonNode.Parse(await Herald.Api.GetStringAsync($"/api/v1/providers/{id}", Ct))!;
        await HeraldInstance.ReadObjectAsync(await Herald.Api.PutAsJsonAsync($"/api/v1/providers/{id}",
            new { nickname = "Flagged", kind = "generic", settings = fetched["settings"] }, Ct), HttpStatusCode.OK);
        var result = await Herald.TestSmsAsync(id, "9812345678");
        Assert.Equal("accepted", result["outcome"]!.GetValue<string>());
        var seen = Simulator.Inspector.GetRequests(1).Single();
        Assert.Equal("?api_key=query-secret-4321", seen.Query);
        Assert.Equal("auth-key-secret-8765", seen.Headers["X-Auth-Key"]);
        Assert.Contains("access_key=access-secret-2468", seen.Body);

        var timeline = (await Herald.GetMessageAsync(result["messageId"]!.GetValue<string>())).ToJsonString() + result.ToJsonString();
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, timeline));
        Assert.Contains("region-visible-1", timeline);

        var exportFile = Path.Combine(Directory.CreateTempSubdirectory("herald-cli-export-").FullName, "providers.json");
        var export = await RunAsync("providers", "export", "Flagged", "--output", exportFile);
        Assert.True(export.ExitCode == 0, export.ToString());
        var exported = await File.ReadAllTextAsync(exportFile, Ct) + export.Output;
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, exported));
        Assert.Contains("region-visible-1", exported);
    }
}
