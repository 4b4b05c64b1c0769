using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Providers.Abstractions;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.GenericHttp;

/// <summary>Bad settings get an error under the field to fix; good ones pass, normalised.</summary>
public sealed class ValidationTests
{
    private const string Https = "https://api.example.com/v1/sms";

    private static IReadOnlyDictionary<string, string[]> Errors(JsonNode settings, ProviderValidationContext? context = null)
    {
        var validation = Generic.Validate(settings, context);
        Assert.False(validation.IsValid, "expected errors");
        Assert.Null(validation.Settings);
        Assert.All(validation.Errors, e => Assert.StartsWith("settings", e.Key));
        Assert.All(validation.Errors, e => Assert.All(e.Value, m => Assert.False(string.IsNullOrWhiteSpace(m))));
        return validation.Errors;
    }

    private static string Error(JsonNode settings, string field, ProviderValidationContext? context = null)
    {
        var errors = Errors(settings, context);
        Assert.True(errors.ContainsKey(field), $"expected an error on {field}, got: {Generic.Describe(errors)}");
        return string.Join(" ", errors[field]);
    }

    [Fact]
    public void Validate_SeedForm_Valid()
    {
        Assert.True(Generic.Validate(Generic.Seed(Https), new(false)).IsValid);
    }

    [Fact]
    public void Validate_JsonBody_ValidAndNormalised()
    {
        var settings = Generic.Json(Https, """{"messages":[{"to":"$$To","text":"$$Body","from":"$$Sender"}],"dlt":{"template":"$$TemplateId"},"priority":1,"flash":false}""");
        settings["bodyType"] = "application/json";
        settings["requestType"] = " post ";
        settings["toFormat"] = "DIGITS";
        settings["headers"] = Generic.Rows(("Authorization", "Bearer tok-123"));
        settings["response"] = new JsonObject { ["messageIdPath"] = "messages[0].id", ["successPattern"] = "\"status\":\\s*\"ok\"" };

        var normalised = JsonNode.Parse(Generic.Valid(settings, new(false)))!;

        Assert.Equal("json", (string?)normalised["bodyType"]);
        Assert.Equal("POST", (string?)normalised["requestType"]);
        Assert.Equal("digits", (string?)normalised["toFormat"]);
        Assert.Equal("messages[0].id", (string?)normalised["response"]!["messageIdPath"]);
    }

    [Fact]
    public void Validate_GetWithForm_Valid()
    {
        Assert.True(Generic.Validate(Generic.Form(Https, "get"), new(false)).IsValid);
    }

    [Fact]
    public void Validate_MissingTo_ErrorOnParameters()
    {
        var settings = Generic.Form(Https);
        settings["parameters"] = Generic.Rows(("text", "$$Body"), ("dest", "+919812345678"));

        Assert.Contains("$$To", Error(settings, "settings.parameters"));
    }

    [Fact]
    public void Validate_MissingToInJson_ErrorOnJsonTemplate()
    {
        Assert.Contains("$$To", Error(Generic.Json(Https, """{"text":"$$Body"}"""), "settings.jsonTemplate"));
    }

    [Theory]
    [InlineData("/send/$$To")]
    [InlineData("/send?msisdn=$$To")]
    public void Validate_ToInEndpointOnly_Valid(string path)
    {
        var settings = Generic.Form("https://api.example.com" + path);
        settings["parameters"] = Generic.Rows(("text", "$$Body"));

        Assert.True(Generic.Validate(settings).IsValid, Generic.Describe(Generic.Validate(settings).Errors));
    }

    [Fact]
    public void Validate_ToInHeaderOnly_Valid()
    {
        var settings = Generic.Form(Https);
        settings["parameters"] = Generic.Rows(("text", "$$Body"));
        settings["headers"] = Generic.Rows(("X-To", "$$To"));

        Assert.True(Generic.Validate(settings).IsValid);
    }

    [Fact]
    public void Validate_NeitherBodyNorTemplateId_Error()
    {
        var settings = Generic.Form(Https);
        settings["parameters"] = Generic.Rows(("to", "$$To"), ("from", "$$Sender"));

        var message = Error(settings, "settings.parameters");
        Assert.Contains("$$Body", message);
        Assert.Contains("$$TemplateID", message);
    }

    [Theory]
    [InlineData("$$TemplateID")]
    [InlineData("$$TemplateId")]
    [InlineData("$$templateid")]
    public void Validate_TemplateIdWithoutBody_Valid(string placeholder)
    {
        var settings = Generic.Form(Https);
        settings["parameters"] = Generic.Rows(("to", "$$To"), ("tid", placeholder));

        Assert.True(Generic.Validate(settings).IsValid);
    }

    [Theory]
    [InlineData("to", "To")]
    [InlineData("api-key", "API-KEY")]
    [InlineData("body", " body ")]
    public void Validate_DuplicateParameterKeysAnyCase_ErrorOnSecondRow(string first, string second)
    {
        var settings = Generic.Form(Https);
        settings["parameters"] = Generic.Rows(("to", "$$To"), ("text", "$$Body"), (first, "a"), (second, "b"));
        if (first is "to" or "body")
        {
            settings["parameters"] = Generic.Rows((first, "$$To"), ("text", "$$Body"), (second, "b"));
        }

        var errors = Errors(settings);
        var key = Assert.Single(errors.Keys);
        Assert.Matches(@"^settings\.parameters\[\d\]\.key$", key);
        Assert.Contains("more than once", errors[key][0]);
    }

    [Fact]
    public void Validate_DuplicateHeaderKeysAnyCase_ErrorNamesTheRow()
    {
        var settings = Generic.Seed(Https);
        settings["headers"] = Generic.Rows(("api-key", "a"), ("sid", "s"), ("API-Key", "b"));

        Assert.Contains("api-key", Error(settings, "settings.headers[2].key"), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_EmptyKey_ErrorNamesTheRow(string key)
    {
        var settings = Generic.Form(Https);
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = key, ["value"] = "x" });
        settings["headers"] = Generic.Rows((key, "y"));

        var errors = Errors(settings);
        Assert.Contains("empty", string.Join(" ", errors["settings.parameters[2].key"]));
        Assert.Contains("empty", string.Join(" ", errors["settings.headers[0].key"]));
    }

    [Theory]
    [InlineData("x api key")]
    [InlineData("x:key")]
    [InlineData("ключ")]
    public void Validate_HeaderKeyNotAToken_Error(string key)
    {
        var settings = Generic.Form(Https);
        settings["headers"] = Generic.Rows((key, "v"));

        Assert.Contains("header name", Error(settings, "settings.headers[0].key"));
    }

    [Fact]
    public void Validate_ValueWithLineBreak_Error()
    {
        var settings = Generic.Form(Https);
        settings["headers"] = Generic.Rows(("X-Evil", "a\r\nInjected: yes"));

        Assert.Contains("line breaks", Error(settings, "settings.headers[0].value"));
    }

    [Theory]
    [InlineData("xml")]
    [InlineData("multipart/form-data")]
    [InlineData("")]
    public void Validate_UnknownBodyType_Error(string bodyType)
    {
        var settings = Generic.Form(Https);
        settings["bodyType"] = bodyType;

        Assert.Contains("bodyType", Error(settings, "settings.bodyType"));
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("")]
    public void Validate_UnknownRequestType_Error(string requestType)
    {
        var settings = Generic.Form(Https);
        settings["requestType"] = requestType;

        Assert.Contains("GET or POST", Error(settings, "settings.requestType"));
    }

    [Fact]
    public void Validate_GetWithJsonBody_Error()
    {
        var settings = Generic.Json(Https, """{"to":"$$To","text":"$$Body"}""");
        settings["requestType"] = "GET";

        Assert.Contains("GET", Error(settings, "settings.bodyType"));
    }

    [Theory]
    [InlineData("e.164")]
    [InlineData("national")]
    public void Validate_UnknownToFormat_Error(string toFormat)
    {
        var settings = Generic.Form(Https);
        settings["toFormat"] = toFormat;

        Error(settings, "settings.toFormat");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(121)]
    [InlineData(-5)]
    public void Validate_TimeoutOutOfRange_Error(int seconds)
    {
        var settings = Generic.Form(Https);
        settings["timeoutSeconds"] = seconds;

        Error(settings, "settings.timeoutSeconds");
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a url")]
    [InlineData("api.example.com/sms")]
    [InlineData("/v1/sms")]
    [InlineData("ftp://api.example.com/sms")]
    [InlineData("file:///etc/passwd")]
    public void Validate_InvalidEndpoint_Error(string endpoint)
    {
        Error(Generic.Form(endpoint), "settings.endpoint", new(false));
    }

    [Theory]
    [InlineData("http://api.example.com/sms")]
    [InlineData("http://10.0.0.5/sms")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    public void Validate_HttpToNonLoopback_ErrorEvenWhenLoopbackAllowed(string endpoint)
    {
        Assert.Contains("https", Error(Generic.Form(endpoint), "settings.endpoint", new(AllowInsecureLoopback: true)));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/sms")]
    [InlineData("http://localhost:5000/sms")]
    [InlineData("http://[::1]:5000/sms")]
    public void Validate_HttpLoopbackWhenNotAllowed_Error(string endpoint)
    {
        Assert.Contains("AllowInsecureLoopback", Error(Generic.Form(endpoint), "settings.endpoint", new(AllowInsecureLoopback: false)));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/sms")]
    [InlineData("http://localhost:5000/sms")]
    [InlineData("http://[::1]:5000/sms")]
    public void Validate_HttpLoopbackWhenAllowed_Valid(string endpoint)
    {
        Assert.True(Generic.Validate(Generic.Form(endpoint), new(AllowInsecureLoopback: true)).IsValid);
    }

    [Theory]
    [InlineData("https://$$Host/sms")]
    [InlineData("https://api.$$Region.example.com/sms")]
    [InlineData("https://api.example.com:$$Port/sms")]
    [InlineData("$$Scheme://api.example.com/sms")]
    [InlineData("https://$$Host")]
    public void Validate_PlaceholderInSchemeOrHost_Error(string endpoint)
    {
        Assert.Contains("host", Error(Generic.Form(endpoint), "settings.endpoint"));
    }

    [Theory]
    [InlineData("https://api.example.com?sender=$$Sender")]
    [InlineData("https://api.example.com/?sender=$$Sender")]
    [InlineData("https://api.example.com/v1/$$Account/sms")]
    public void Validate_PlaceholderInPathOrQuery_Valid(string endpoint)
    {
        var validation = Generic.Validate(Generic.Form(endpoint));

        Assert.True(validation.IsValid, Generic.Describe(validation.Errors));
    }

    [Theory]
    [InlineData("""{"to": $$To, "text": "$$Body"}""")]
    [InlineData("""{"to":"$$To","text":"$$Body",}x""")]
    [InlineData("""{"to":"$$To" "text":"$$Body"}""")]
    public void Validate_JsonTemplateInvalidAfterSubstitution_Error(string template)
    {
        Assert.Contains("JSON", Error(Generic.Json(Https, template), "settings.jsonTemplate"));
    }

    [Theory]
    [InlineData("\"$$To $$Body\"")]
    [InlineData("42")]
    public void Validate_JsonTemplateNotObjectOrArray_Error(string template)
    {
        Assert.Contains("object or array", Error(Generic.Json(Https, template), "settings.jsonTemplate"));
    }

    [Fact]
    public void Validate_JsonWithoutTemplate_Error()
    {
        var settings = Generic.Json(Https, "");

        Error(settings, "settings.jsonTemplate");
    }

    [Theory]
    [InlineData("successPattern", "([a-z")]
    [InlineData("permanentFailurePattern", "*oops")]
    [InlineData("transientFailurePattern", "(?<open")]
    [InlineData("messageIdPattern", "id=(\\d+")]
    public void Validate_InvalidRegex_ErrorNamesThePattern(string name, string pattern)
    {
        var settings = Generic.Form(Https);
        settings["response"] = new JsonObject { [name] = pattern };

        Assert.Contains("regular expression", Error(settings, "settings.response." + name));
    }

    [Fact]
    public void Validate_MessageIdPatternWithoutGroup_Error()
    {
        var settings = Generic.Form(Https);
        settings["response"] = new JsonObject { ["messageIdPattern"] = "id=\\d+" };

        Assert.Contains("capture group", Error(settings, "settings.response.messageIdPattern"));
    }

    [Theory]
    [InlineData("data[x].id")]
    [InlineData("data..id")]
    [InlineData("data[0]id")]
    public void Validate_InvalidMessageIdPath_Error(string path)
    {
        var settings = Generic.Form(Https);
        settings["response"] = new JsonObject { ["messageIdPath"] = path };

        Error(settings, "settings.response.messageIdPath");
    }

    [Fact]
    public void Validate_BasicWithoutPassword_Error()
    {
        var settings = Generic.Form(Https);
        settings["authentication"] = new JsonObject { ["type"] = "basic", ["username"] = "user" };

        Assert.Contains("password", Error(settings, "settings.authentication.password"));
    }

    [Fact]
    public void Validate_BasicWithoutUsername_Error()
    {
        var settings = Generic.Form(Https);
        settings["authentication"] = new JsonObject { ["type"] = "basic", ["password"] = "pw" };

        Error(settings, "settings.authentication.username");
    }

    [Fact]
    public void Validate_BasicUsernameWithColon_Error()
    {
        var settings = Generic.Form(Https);
        settings["authentication"] = new JsonObject { ["type"] = "basic", ["username"] = "a:b", ["password"] = "pw" };

        Assert.Contains("':'", Error(settings, "settings.authentication.username"));
    }

    [Fact]
    public void Validate_UnknownAuthenticationType_Error()
    {
        var settings = Generic.Form(Https);
        settings["authentication"] = new JsonObject { ["type"] = "oauth2" };

        Error(settings, "settings.authentication.type");
    }

    [Fact]
    public void Validate_NoneAuthentication_DropsStrayCredentials()
    {
        var settings = Generic.Form(Https);
        settings["authentication"] = new JsonObject { ["type"] = "None", ["username"] = "u", ["password"] = "leftover" };

        var normalised = Generic.Valid(settings);

        Assert.DoesNotContain("leftover", normalised);
        Assert.Equal("none", (string?)JsonNode.Parse(normalised)!["authentication"]!["type"]);
    }

    [Fact]
    public void Validate_SettingsNotAnObject_Error()
    {
        var validation = Generic.Kind.Validate(JsonSerializer.SerializeToElement(new[] { 1, 2 }), Generic.Loopback);

        Assert.True(validation.Errors.ContainsKey("settings"));
    }

    [Fact]
    public void Validate_WrongValueType_ErrorNamesTheField()
    {
        var settings = Generic.Form(Https);
        settings["timeoutSeconds"] = "soon";

        var errors = Errors(settings);
        Assert.Contains(errors.Keys, k => k.StartsWith("settings", StringComparison.Ordinal) && k.Contains("timeoutSeconds", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("headers")]
    [InlineData("parameters")]
    [InlineData("endpoint")]
    [InlineData("authentication")]
    [InlineData("response")]
    [InlineData("requestType")]
    [InlineData("bodyType")]
    public void Validate_NullField_ErrorsOrDefaultsWithoutThrowing(string field)
    {
        var settings = Generic.Seed(Https);
        settings[field] = null;

        var validation = Generic.Validate(settings);

        Assert.NotNull(validation);
        if (field is "headers" or "response" or "authentication")
        {
            Assert.True(validation.IsValid, Generic.Describe(validation.Errors));
        }
        else
        {
            Assert.False(validation.IsValid);
        }
    }

    [Fact]
    public void Validate_NullRow_ErrorNamesTheRowWithoutThrowing()
    {
        var settings = Generic.Seed(Https);
        settings["headers"]!.AsArray().Add(null);

        var errors = Errors(settings);

        Assert.True(errors.ContainsKey("settings.headers[4]"), Generic.Describe(errors));
    }

    [Fact]
    public void Validate_NullKeyOrValue_TreatedAsEmpty()
    {
        var settings = Generic.Form(Https);
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = "empty", ["value"] = null });
        settings["headers"] = new JsonArray(new JsonObject { ["key"] = null, ["value"] = "v" });

        var errors = Errors(settings);

        Assert.Equal(["settings.headers[0].key"], errors.Keys);
    }
}
