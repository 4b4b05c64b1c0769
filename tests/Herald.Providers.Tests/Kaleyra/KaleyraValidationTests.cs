using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Providers.Abstractions;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.Kaleyra;

/// <summary>The kaleyra kind's settings: what is accepted, how it is normalised, and errors that say what to fix.</summary>
public sealed class KaleyraValidationTests
{
    private static readonly ProviderValidationContext Strict = new(AllowInsecureLoopback: false);

    private static string[] ErrorsFor(JsonNode settings, string field, ProviderValidationContext? context = null)
    {
        var validation = KaleyraFixture.Validate(settings, context);
        Assert.False(validation.IsValid, "expected errors");
        Assert.Null(validation.Settings);
        Assert.True(validation.Errors.ContainsKey(field), $"expected an error on {field}, got: {Generic.Describe(validation.Errors)}");
        return validation.Errors[field];
    }

    [Fact]
    public void Kind_Registered_FoundByNameWithDisplayNameAndNoDynamicFields()
    {
        var kind = KaleyraFixture.Kind;

        Assert.Equal("kaleyra", kind.Kind);
        Assert.Equal("Kaleyra", kind.DisplayName);
        Assert.Empty(kind.CustomPlaceholders(kind.Read(KaleyraFixture.Valid(KaleyraFixture.Settings()), s => s)));
    }

    [Fact]
    public void Validate_Minimal_FillsDefaults()
    {
        var settings = new JsonObject { ["apiKey"] = KaleyraFixture.ApiKey, ["sid"] = KaleyraFixture.Sid, ["host"] = "api.kaleyra.io" };

        var normalised = JsonNode.Parse(KaleyraFixture.Valid(settings, Strict))!;

        Assert.Equal("api.kaleyra.io", (string?)normalised["host"]);
        Assert.Equal("sms", (string?)normalised["endpoint"]);
        Assert.Equal("DEFAULT", (string?)normalised["type"]);
        Assert.Equal("auto", (string?)normalised["unicode"]);
        Assert.Equal(30, (int?)normalised["timeoutSeconds"]);
        Assert.False((bool?)normalised["allowCustomHost"]);
        Assert.Null(normalised["sender"]);
        Assert.Null(normalised["entityId"]);
    }

    [Theory]
    [InlineData("api.in.kaleyra.io")]
    [InlineData("api.kaleyra.io")]
    [InlineData("api.ap.kaleyra.io")]
    [InlineData("api.eu.kaleyra.io")]
    [InlineData("api.na.kaleyra.ai")]
    public void Validate_KaleyraHost_Valid(string host)
    {
        var normalised = JsonNode.Parse(KaleyraFixture.Valid(KaleyraFixture.Settings(host), Strict))!;

        Assert.Equal(host, (string?)normalised["host"]);
    }

    [Theory]
    [InlineData(" API.EU.Kaleyra.io ", "api.eu.kaleyra.io")]
    [InlineData("https://api.in.kaleyra.io/", "api.in.kaleyra.io")]
    [InlineData("https://api.na.kaleyra.ai:443", "api.na.kaleyra.ai")]
    public void Validate_KaleyraHostWrittenLoosely_NormalisedToHostName(string host, string expected)
    {
        var normalised = JsonNode.Parse(KaleyraFixture.Valid(KaleyraFixture.Settings(host), Strict))!;

        Assert.Equal(expected, (string?)normalised["host"]);
    }

    [Theory]
    [InlineData("api.example.com")]
    [InlineData("kaleyra.io.evil.example")]
    [InlineData("127.0.0.1:9090")]
    [InlineData("http://127.0.0.1:9090")]
    public void Validate_UnknownHostWithoutAllowCustomHost_ErrorNamingHostsAndTheSwitch(string host)
    {
        var errors = ErrorsFor(KaleyraFixture.Settings(host), "settings.host");

        var error = Assert.Single(errors);
        Assert.Contains("api.in.kaleyra.io", error);
        Assert.Contains("allowCustomHost", error);
    }

    [Theory]
    [InlineData("http://api.kaleyra.io")]
    [InlineData("api.kaleyra.io:8443")]
    public void Validate_KaleyraHostNotHttpsDefaultPort_ErrorAskingForTheHostName(string host)
    {
        var error = Assert.Single(ErrorsFor(KaleyraFixture.Settings(host), "settings.host"));

        Assert.Contains("https", error);
    }

    [Theory]
    [InlineData("api.kaleyra.io/v1/HX/sms")]
    [InlineData("https://api.kaleyra.io?x=1")]
    [InlineData("https://user:pw@api.kaleyra.io")]
    [InlineData("not a host")]
    public void Validate_HostWithPathQueryOrCredentials_Error(string host)
    {
        var error = Assert.Single(ErrorsFor(KaleyraFixture.Settings(host), "settings.host"));

        Assert.Contains("api.in.kaleyra.io", error);
    }

    [Fact]
    public void Validate_MissingHost_ErrorListingHosts()
    {
        var settings = KaleyraFixture.Settings();
        settings.Remove("host");

        var error = Assert.Single(ErrorsFor(settings, "settings.host"));

        Assert.Contains("required", error);
        Assert.Contains("api.eu.kaleyra.io", error);
    }

    [Theory]
    [InlineData("sim.example.com", "sim.example.com")]
    [InlineData("https://sim.example.com:8443", "sim.example.com:8443")]
    [InlineData("http://127.0.0.1:9090", "http://127.0.0.1:9090")]
    [InlineData("http://localhost:9090/", "http://localhost:9090")]
    public void Validate_CustomHostAllowedWithLoopback_NormalisedWithSchemeOnlyForHttp(string host, string expected)
    {
        var settings = KaleyraFixture.Settings(host);
        settings["allowCustomHost"] = true;

        var normalised = JsonNode.Parse(KaleyraFixture.Valid(settings))!;

        Assert.Equal(expected, (string?)normalised["host"]);
    }

    [Fact]
    public void Validate_HttpNonLoopbackCustomHost_ErrorAskingForHttps()
    {
        var settings = KaleyraFixture.Settings("http://sim.example.com:9090");
        settings["allowCustomHost"] = true;

        var error = Assert.Single(ErrorsFor(settings, "settings.host"));

        Assert.Contains("https://", error);
        Assert.Contains("loopback", error);
    }

    [Fact]
    public void Validate_HttpLoopbackWithoutAllowInsecureLoopback_ErrorNamingTheSetting()
    {
        var settings = KaleyraFixture.Settings("http://127.0.0.1:9090");
        settings["allowCustomHost"] = true;

        var error = Assert.Single(ErrorsFor(settings, "settings.host", Strict));

        Assert.Contains("AllowInsecureLoopback", error);
    }

    [Theory]
    [InlineData("otp", "OTP")]
    [InlineData("Txn", "TXN")]
    [InlineData("MKT", "MKT")]
    [InlineData(" default ", "DEFAULT")]
    public void Validate_Type_NormalisedToKaleyraSpelling(string type, string expected)
    {
        var settings = KaleyraFixture.Settings();
        settings["type"] = type;

        Assert.Equal(expected, (string?)JsonNode.Parse(KaleyraFixture.Valid(settings))!["type"]);
    }

    [Theory]
    [InlineData("PROMO")]
    [InlineData("transactional")]
    public void Validate_BadType_ErrorListingTypes(string type)
    {
        var settings = KaleyraFixture.Settings();
        settings["type"] = type;

        var error = Assert.Single(ErrorsFor(settings, "settings.type"));

        Assert.Contains("OTP, DEFAULT, MKT or TXN", error);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_MissingApiKey_ErrorSayingWhereToFindIt(string? apiKey)
    {
        var settings = KaleyraFixture.Settings();
        settings["apiKey"] = apiKey;

        var error = Assert.Single(ErrorsFor(settings, "settings.apiKey"));

        Assert.Contains("required", error);
        Assert.Contains("API key", error);
    }

    [Fact]
    public void Validate_ApiKeyWithLineBreak_Error()
    {
        var settings = KaleyraFixture.Settings();
        settings["apiKey"] = "abc\r\nX-Injected: 1";

        Assert.Single(ErrorsFor(settings, "settings.apiKey"));
    }

    [Fact]
    public void Validate_MissingSid_ErrorWithExample()
    {
        var settings = KaleyraFixture.Settings();
        settings.Remove("sid");

        var error = Assert.Single(ErrorsFor(settings, "settings.sid"));

        Assert.Contains("required", error);
        Assert.Contains("HXIN", error);
    }

    [Theory]
    [InlineData("HX/../admin")]
    [InlineData("HX IN")]
    [InlineData("HX?x=1")]
    public void Validate_SidThatWouldChangeThePath_Error(string sid)
    {
        var settings = KaleyraFixture.Settings();
        settings["sid"] = sid;

        Assert.Single(ErrorsFor(settings, "settings.sid"));
    }

    [Fact]
    public void Validate_MissingApiKeyAndSid_BothReported()
    {
        var validation = KaleyraFixture.Validate(new JsonObject { ["host"] = "api.in.kaleyra.io" });

        Assert.False(validation.IsValid);
        Assert.Contains("settings.apiKey", validation.Errors.Keys);
        Assert.Contains("settings.sid", validation.Errors.Keys);
    }

    [Theory]
    [InlineData("messages", "messages")]
    [InlineData("SMS", "sms")]
    [InlineData("/messages", "messages")]
    public void Validate_Endpoint_Normalised(string endpoint, string expected)
    {
        var settings = KaleyraFixture.Settings();
        settings["endpoint"] = endpoint;

        Assert.Equal(expected, (string?)JsonNode.Parse(KaleyraFixture.Valid(settings))!["endpoint"]);
    }

    [Fact]
    public void Validate_BadEndpoint_ErrorNamingBoth()
    {
        var settings = KaleyraFixture.Settings();
        settings["endpoint"] = "v2/send";

        var error = Assert.Single(ErrorsFor(settings, "settings.endpoint"));

        Assert.Contains("sms", error);
        Assert.Contains("messages", error);
    }

    [Theory]
    [InlineData("123")]
    [InlineData("12345678901234567890")]
    [InlineData("1201-5916-1234")]
    public void Validate_BadEntityId_Error(string entityId)
    {
        var settings = KaleyraFixture.Settings();
        settings["entityId"] = entityId;

        var error = Assert.Single(ErrorsFor(settings, "settings.entityId"));

        Assert.Contains("12 to 19", error);
    }

    [Fact]
    public void Validate_EntityId_Kept()
    {
        var settings = KaleyraFixture.Settings();
        settings["entityId"] = " 1201159161234567890 ";

        Assert.Equal("1201159161234567890", (string?)JsonNode.Parse(KaleyraFixture.Valid(settings))!["entityId"]);
    }

    [Fact]
    public void Validate_BadUnicode_ErrorListingChoices()
    {
        var settings = KaleyraFixture.Settings();
        settings["unicode"] = "yes";

        var error = Assert.Single(ErrorsFor(settings, "settings.unicode"));

        Assert.Contains("auto", error);
        Assert.Contains("always", error);
        Assert.Contains("never", error);
    }

    [Theory]
    [InlineData("KLR HXA SENDER LONG")]
    [InlineData("KLR<b>")]
    public void Validate_BadSender_Error(string sender)
    {
        var settings = KaleyraFixture.Settings();
        settings["sender"] = sender;

        Assert.Single(ErrorsFor(settings, "settings.sender"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(121)]
    public void Validate_TimeoutOutOfRange_Error(int seconds)
    {
        var settings = KaleyraFixture.Settings();
        settings["timeoutSeconds"] = seconds;

        Assert.Single(ErrorsFor(settings, "settings.timeoutSeconds"));
    }

    [Fact]
    public void Validate_NotAnObject_ErrorOnSettings()
    {
        var validation = KaleyraFixture.Kind.Validate(JsonSerializer.SerializeToElement("api.kaleyra.io"), Generic.Loopback);

        Assert.Contains("settings", validation.Errors.Keys);
    }

    [Fact]
    public void Validate_WrongJsonType_ErrorOnTheField()
    {
        var settings = KaleyraFixture.Settings();
        settings["timeoutSeconds"] = "soon";

        var validation = KaleyraFixture.Validate(settings);

        Assert.Contains("settings.timeoutSeconds", validation.Errors.Keys);
    }
}
