using System.Text.Json.Nodes;
using Herald.Providers.Abstractions;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.GenericHttp;

/// <summary>The explicit <c>secret</c> flag of header and parameter rows, and endpoint query values as secrets.</summary>
public sealed class SecretFlagTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject Settings(string endpoint)
    {
        var settings = Generic.Form(endpoint);
        settings["headers"] = new JsonArray(
            new JsonObject { ["key"] = "X-Auth-Key", ["value"] = "auth-key-value-77", ["secret"] = true },
            new JsonObject { ["key"] = "X-Api-Key", ["value"] = "not-really-secret-88", ["secret"] = false });
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = "access_key", ["value"] = "access-value-99", ["secret"] = true });
        return settings;
    }

    private static string Value(JsonNode settings, string list, string key) =>
        settings[list]!.AsArray().Single(r => (string?)r!["key"] == key)!["value"]!.GetValue<string>();

    [Fact]
    public void TransformSecrets_Mask_FollowsTheFlagAndMasksEndpointQueryValues()
    {
        var stored = Generic.Valid(Settings("https://sms.example.com/send?api_key=query-secret-55&to=$$To"));

        var masked = JsonNode.Parse(Generic.Kind.TransformSecrets(stored, _ => Secrets.Mask))!;

        Assert.Equal(Secrets.Mask, Value(masked, "headers", "X-Auth-Key"));
        Assert.Equal("not-really-secret-88", Value(masked, "headers", "X-Api-Key")); // explicitly not secret
        Assert.Equal(Secrets.Mask, Value(masked, "parameters", "access_key"));
        Assert.Equal("https://sms.example.com/send?api_key=****&to=$$To", (string?)masked["endpoint"]);
        Assert.True((bool)masked["headers"]![0]!["secret"]!);
        Assert.False((bool)masked["headers"]![1]!["secret"]!);
    }

    [Fact]
    public void KeepMaskedSecrets_MaskedQueryValue_KeepsTheStoredOne()
    {
        var existing = Generic.Valid(Settings("https://sms.example.com/send?api_key=query-secret-55&to=$$To"));
        var incoming = JsonNode.Parse(Generic.Kind.TransformSecrets(existing, _ => Secrets.Mask))!;

        var kept = JsonNode.Parse(Generic.Kind.KeepMaskedSecrets(incoming.ToJsonString(), existing))!;

        Assert.Equal("https://sms.example.com/send?api_key=query-secret-55&to=$$To", (string?)kept["endpoint"]);
        Assert.Equal("auth-key-value-77", Value(kept, "headers", "X-Auth-Key"));
        Assert.Equal("access-value-99", Value(kept, "parameters", "access_key"));
    }

    [Fact]
    public void TransformSecrets_RowWithoutFlag_FallsBackToTheKeyName()
    {
        var settings = Generic.Form("https://sms.example.com/send");
        settings["headers"] = new JsonArray(new JsonObject { ["key"] = "api-key", ["value"] = "heuristic-secret" }, new JsonObject { ["key"] = "X-Region", ["value"] = "eu" });

        var masked = JsonNode.Parse(Generic.Kind.TransformSecrets(Generic.Valid(settings), _ => Secrets.Mask))!;

        Assert.Equal(Secrets.Mask, Value(masked, "headers", "api-key"));
        Assert.Equal("eu", Value(masked, "headers", "X-Region"));
        Assert.Null(masked["headers"]![0]!["secret"]); // stays unset: older stored providers read the same
    }

    [Fact]
    public async Task SendAsync_FlaggedAndQuerySecrets_SentInClearButMaskedInTheExchange()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Settings(stub.Url("/sms?api_key=query-secret-55")));

        var result = await sender.SendAsync(Generic.Message(), Ct);

        var seen = stub.Only;
        Assert.Equal("auth-key-value-77", seen.Header("X-Auth-Key"));
        Assert.Equal("query-secret-55", seen.QueryFields["api_key"]);
        Assert.Contains("access_key=access-value-99", seen.Body);
        var visible = Generic.Visible(result.Exchange!);
        Assert.DoesNotContain("auth-key-value-77", visible);
        Assert.DoesNotContain("query-secret-55", visible);
        Assert.DoesNotContain("access-value-99", visible);
        Assert.Contains("api_key=****", result.Exchange!.Request.Url);
    }
}
