using System.Text.Json.Nodes;
using Herald.Providers.Abstractions;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.Twilio;

/// <summary>Twilio settings: every error names its field; the auth token and account SID are secrets.</summary>
public sealed class TwilioValidationTests
{
    private static readonly ProviderValidationContext Strict = new(AllowInsecureLoopback: false);

    [Fact]
    public void Validate_Minimal_DefaultsToTwilioHost()
    {
        var settings = JsonNode.Parse(TwilioFixture.Valid(TwilioFixture.Settings(), Strict))!;

        Assert.Equal("api.twilio.com", (string?)settings["host"]);
        Assert.Equal(30, (int?)settings["timeoutSeconds"]);
    }

    [Theory]
    [InlineData("accountSid", "", "settings.accountSid", "accountSid is required")]
    [InlineData("accountSid", "AC123", "settings.accountSid", "AC followed by 32 hex digits")]
    [InlineData("authToken", "", "settings.authToken", "authToken is required")]
    [InlineData("authToken", "two words", "settings.authToken", "cannot contain spaces")]
    [InlineData("from", "+1-415", "settings.from", "not an E.164 number")]
    [InlineData("from", "A sender id that is far too long", "settings.from", "at most 11")]
    [InlineData("messagingServiceSid", "MG1", "settings.messagingServiceSid", "MG followed by 32 hex digits")]
    [InlineData("host", "api.example.com", "settings.host", "allowCustomHost")]
    [InlineData("host", "http://api.twilio.com", "settings.host", "https on the default port")]
    [InlineData("timeoutSeconds", "0", "settings.timeoutSeconds", "between 1 and 120")]
    public void Validate_BadValue_ErrorNamesTheField(string field, string value, string key, string message)
    {
        var settings = TwilioFixture.Settings();
        settings[field] = field == "timeoutSeconds" ? JsonValue.Create(int.Parse(value, System.Globalization.CultureInfo.InvariantCulture)) : value;

        var validation = TwilioFixture.Validate(settings, Strict);

        Assert.False(validation.IsValid);
        Assert.Contains(validation.Errors[key], e => e.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NeitherFromNorMessagingService_AsksForOne()
    {
        var settings = TwilioFixture.Settings();
        settings.Remove("from");

        var validation = TwilioFixture.Validate(settings);

        Assert.Contains("messagingServiceSid", Assert.Single(validation.Errors["settings.from"]));
    }

    [Fact]
    public void Validate_MessagingServiceInsteadOfFrom_Valid()
    {
        var settings = TwilioFixture.Settings();
        settings.Remove("from");
        settings["messagingServiceSid"] = TwilioFixture.ServiceSid;

        Assert.True(TwilioFixture.Validate(settings).IsValid);
    }

    [Fact]
    public void Validate_LoopbackSimulatorWithoutInsecureLoopback_RefusedSayingHowToAllowIt()
    {
        var settings = TwilioFixture.Settings();
        settings["host"] = "http://127.0.0.1:9090";
        settings["allowCustomHost"] = true;

        var validation = TwilioFixture.Validate(settings, Strict);

        Assert.Contains("AllowInsecureLoopback", Assert.Single(validation.Errors["settings.host"]));
        Assert.True(TwilioFixture.Validate(settings, Generic.Loopback).IsValid);
    }

    [Fact]
    public void TransformSecrets_Mask_MasksAuthTokenAndAccountSid()
    {
        var masked = JsonNode.Parse(TwilioFixture.Kind.TransformSecrets(TwilioFixture.Valid(TwilioFixture.Settings()), _ => Secrets.Mask))!;

        Assert.Equal(Secrets.Mask, (string?)masked["authToken"]);
        Assert.Equal(Secrets.Mask, (string?)masked["accountSid"]);
        Assert.Equal("+15005550006", (string?)masked["from"]);
        Assert.DoesNotContain(TwilioFixture.AuthToken, masked.ToJsonString());
        Assert.DoesNotContain(TwilioFixture.AccountSid, masked.ToJsonString());
    }

    [Fact]
    public void KeepMaskedSecrets_MaskedTokenAndSid_PassValidationAndKeepTheStoredOnes()
    {
        var existing = TwilioFixture.Valid(TwilioFixture.Settings());
        var incoming = TwilioFixture.Settings();
        incoming["authToken"] = Secrets.Mask;
        incoming["accountSid"] = Secrets.Mask;
        incoming["from"] = "Herald";

        var kept = JsonNode.Parse(TwilioFixture.Kind.KeepMaskedSecrets(TwilioFixture.Valid(incoming), existing))!;

        Assert.Equal(TwilioFixture.AuthToken, (string?)kept["authToken"]);
        Assert.Equal(TwilioFixture.AccountSid, (string?)kept["accountSid"]);
        Assert.Equal("Herald", (string?)kept["from"]);
    }

    [Fact]
    public void TransformSecrets_ProtectThenUnprotect_RoundTrips()
    {
        var original = TwilioFixture.Valid(TwilioFixture.Settings());

        var protectedSettings = TwilioFixture.Kind.TransformSecrets(original, v => "enc:" + new string(v.Reverse().ToArray()));
        var restored = TwilioFixture.Kind.TransformSecrets(protectedSettings, v => new string(v["enc:".Length..].Reverse().ToArray()));

        Assert.DoesNotContain(TwilioFixture.AuthToken, protectedSettings);
        Assert.Equal(original, restored);
    }
}
