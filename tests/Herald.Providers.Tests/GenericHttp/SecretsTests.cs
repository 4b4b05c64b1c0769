using System.Text.Json.Nodes;
using Herald.Providers.Abstractions;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.GenericHttp;

/// <summary>TransformSecrets (mask, protect, unprotect) and KeepMaskedSecrets on stored generic settings.</summary>
public sealed class SecretsTests
{
    private static string SeedWithBasic()
    {
        var settings = Generic.Seed("https://api.kaleyra.io/v1/x/messages");
        settings["authentication"] = new JsonObject { ["type"] = "basic", ["username"] = "herald-user", ["password"] = Generic.Password };
        settings["headers"]!.AsArray().Add(new JsonObject { ["key"] = "X-Auth-Token", ["value"] = "Bearer $$Token" });
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = "api_secret", ["value"] = "form-secret-1" });
        return Generic.Valid(settings);
    }

    private static string Value(JsonNode settings, string list, string key) =>
        settings[list]!.AsArray().Single(r => (string?)r!["key"] == key)!["value"]!.GetValue<string>();

    [Fact]
    public void TransformSecrets_Mask_MasksPasswordAndSecretLookingLiteralValuesOnly()
    {
        var masked = JsonNode.Parse(Generic.Kind.TransformSecrets(SeedWithBasic(), _ => Secrets.Mask))!;

        Assert.Equal(Secrets.Mask, (string?)masked["authentication"]!["password"]);
        Assert.Equal("herald-user", (string?)masked["authentication"]!["username"]);
        Assert.Equal(Secrets.Mask, Value(masked, "headers", "api-key"));
        Assert.Equal(Secrets.Mask, Value(masked, "headers", "sid"));
        Assert.Equal("api.kaleyra.io", Value(masked, "headers", "kaleyra-host"));
        Assert.Equal("https://clevertap.example/sms/dlr/abc123", Value(masked, "headers", "callback_url"));
        Assert.Equal("Bearer $$Token", Value(masked, "headers", "X-Auth-Token")); // a placeholder is not a secret
        Assert.Equal(Secrets.Mask, Value(masked, "parameters", "api_secret"));
        Assert.Equal("$$Sender", Value(masked, "parameters", "sender"));
        Assert.Equal("$$To", Value(masked, "parameters", "to"));
        var text = masked.ToJsonString();
        Assert.DoesNotContain(Generic.ApiKey, text);
        Assert.DoesNotContain(Generic.Sid, text);
        Assert.DoesNotContain("form-secret-1", text);
        Assert.DoesNotContain("w0rd", text);
    }

    [Fact]
    public void TransformSecrets_ProtectThenUnprotect_RoundTrips()
    {
        var original = SeedWithBasic();

        var protectedSettings = Generic.Kind.TransformSecrets(original, v => "enc:" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(v)));
        var restored = Generic.Kind.TransformSecrets(protectedSettings, v => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(v["enc:".Length..])));

        Assert.DoesNotContain(Generic.ApiKey, protectedSettings);
        Assert.Equal(original, restored);
    }

    [Fact]
    public void TransformSecrets_NoAuthentication_TransformsOnlyHeaders()
    {
        var seen = new List<string>();

        Generic.Kind.TransformSecrets(Generic.Valid(Generic.Seed("https://api.kaleyra.io/v1/x/messages")), v => { seen.Add(v); return v; });

        Assert.Equal([Generic.ApiKey, Generic.Sid], seen);
    }

    [Fact]
    public void TransformSecrets_JsonTemplateSecretLiteral_MaskedKeepingTheRestAsWritten()
    {
        var template = "{\n  \"auth\": { \"api_key\": \"Ak9f3e2c1b0a\", \"user\": \"herald\" },\n  \"to\": \"$$To\", \"token\": \"$$Token\", \"text\": \"नमस्ते $$Body\"\n}";
        var settings = Generic.Valid(Generic.Json("https://api.example.com/sms", template));

        var masked = JsonNode.Parse(Generic.Kind.TransformSecrets(settings, _ => Secrets.Mask))!;

        var maskedTemplate = (string)masked["jsonTemplate"]!;
        Assert.Equal(template.Replace("Ak9f3e2c1b0a", Secrets.Mask, StringComparison.Ordinal), maskedTemplate);
    }

    [Fact]
    public void KeepMaskedSecrets_MaskedValues_RestoredFromExistingByKey()
    {
        var existing = SeedWithBasic();
        var incoming = JsonNode.Parse(Generic.Kind.TransformSecrets(existing, _ => Secrets.Mask))!;
        // the user edits a plain field, reorders headers and writes a key in another case
        incoming["endpoint"] = "https://api.kaleyra.io/v2/x/messages";
        var headers = incoming["headers"]!.AsArray();
        var sid = headers.Single(h => (string?)h!["key"] == "sid")!;
        headers.Remove(sid);
        sid["key"] = "SID";
        headers.Insert(0, sid);

        var kept = JsonNode.Parse(Generic.Kind.KeepMaskedSecrets(incoming.ToJsonString(), existing))!;

        Assert.Equal(Generic.Password, (string?)kept["authentication"]!["password"]);
        Assert.Equal(Generic.ApiKey, Value(kept, "headers", "api-key"));
        Assert.Equal(Generic.Sid, Value(kept, "headers", "SID"));
        Assert.Equal("form-secret-1", Value(kept, "parameters", "api_secret"));
        Assert.Equal("https://api.kaleyra.io/v2/x/messages", (string?)kept["endpoint"]);
    }

    [Fact]
    public void KeepMaskedSecrets_NewValue_Kept()
    {
        var existing = SeedWithBasic();
        var incoming = JsonNode.Parse(Generic.Kind.TransformSecrets(existing, _ => Secrets.Mask))!;
        incoming["authentication"]!["password"] = "brand-new-password";
        incoming["headers"]!.AsArray().Single(h => (string?)h!["key"] == "api-key")!["value"] = "new-api-key";

        var kept = JsonNode.Parse(Generic.Kind.KeepMaskedSecrets(incoming.ToJsonString(), existing))!;

        Assert.Equal("brand-new-password", (string?)kept["authentication"]!["password"]);
        Assert.Equal("new-api-key", Value(kept, "headers", "api-key"));
        Assert.Equal(Generic.Sid, Value(kept, "headers", "sid"));
    }

    [Fact]
    public void KeepMaskedSecrets_MaskedKeyNotInExisting_StaysMasked()
    {
        var existing = SeedWithBasic();
        var incoming = JsonNode.Parse(existing)!;
        incoming["headers"]!.AsArray().Add(new JsonObject { ["key"] = "x-api-key", ["value"] = Secrets.Mask });

        var kept = JsonNode.Parse(Generic.Kind.KeepMaskedSecrets(incoming.ToJsonString(), existing))!;

        Assert.Equal(Secrets.Mask, Value(kept, "headers", "x-api-key"));
    }

    [Fact]
    public void KeepMaskedSecrets_HeaderKeyDoesNotBorrowFromParameterOfSameName()
    {
        var existingNode = JsonNode.Parse(SeedWithBasic())!;
        existingNode["headers"]!.AsArray().Add(new JsonObject { ["key"] = "api_secret", ["value"] = "header-secret" });
        var existing = existingNode.ToJsonString();
        var incoming = JsonNode.Parse(Generic.Kind.TransformSecrets(existing, _ => Secrets.Mask))!;

        var kept = JsonNode.Parse(Generic.Kind.KeepMaskedSecrets(incoming.ToJsonString(), existing))!;

        Assert.Equal("header-secret", Value(kept, "headers", "api_secret"));
        Assert.Equal("form-secret-1", Value(kept, "parameters", "api_secret"));
    }

    [Fact]
    public void KeepMaskedSecrets_JsonTemplateMaskedSecret_RestoredByPath()
    {
        var template = """{"auth":{"api_key":"Ak9f3e2c1b0a"},"accounts":[{"token":"t-one"},{"token":"t-two"}],"to":"$$To","text":"$$Body"}""";
        var existing = Generic.Valid(Generic.Json("https://api.example.com/sms", template));
        var incoming = JsonNode.Parse(Generic.Kind.TransformSecrets(existing, _ => Secrets.Mask))!;
        Assert.DoesNotContain("t-two", (string)incoming["jsonTemplate"]!);
        incoming["jsonTemplate"] = ((string)incoming["jsonTemplate"]!).Replace("\"text\":\"$$Body\"", "\"text\":\"$$Body\",\"flash\":true", StringComparison.Ordinal);

        var kept = JsonNode.Parse(Generic.Kind.KeepMaskedSecrets(incoming.ToJsonString(), existing))!;

        var restored = JsonNode.Parse((string)kept["jsonTemplate"]!)!;
        Assert.Equal("Ak9f3e2c1b0a", (string?)restored["auth"]!["api_key"]);
        Assert.Equal("t-one", (string?)restored["accounts"]![0]!["token"]);
        Assert.Equal("t-two", (string?)restored["accounts"]![1]!["token"]);
        Assert.True((bool)restored["flash"]!);
    }

    [Theory]
    [InlineData("api-key", true)]
    [InlineData("X-API-KEY", true)]
    [InlineData("apikey", true)]
    [InlineData("api_key", true)]
    [InlineData("Authorization", true)]
    [InlineData("auth_token", true)]
    [InlineData("client_secret", true)]
    [InlineData("password", true)]
    [InlineData("passwd", true)]
    [InlineData("sid", true)]
    [InlineData("AccountSid", true)]
    [InlineData("kaleyra-host", false)]
    [InlineData("callback_url", false)]
    [InlineData("sender", false)]
    [InlineData("side", false)]
    [InlineData("to", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsSecretKey_Key_RecognisesSecretNames(string? key, bool expected)
    {
        Assert.Equal(expected, Secrets.IsSecretKey(key));
    }
}
