using System.Text;
using System.Text.Json.Nodes;
using Herald.Core.Messaging;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.GenericHttp;

/// <summary>Basic authentication on the wire, and the exchange people see with every secret masked.</summary>
public sealed class AuthenticationAndMaskingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject SeedWithBasic(string endpoint, string password = Generic.Password)
    {
        var settings = Generic.Seed(endpoint);
        settings["authentication"] = new JsonObject { ["type"] = "basic", ["username"] = "herald-user", ["password"] = password };
        return settings;
    }

    [Fact]
    public async Task SendAsync_BasicAuthentication_SendsCorrectAuthorizationHeader()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(SeedWithBasic(stub.Url()));

        await sender.SendAsync(Generic.Message(dynamicFields: Generic.SeedFields()), Ct);

        var header = stub.Only.Header("Authorization");
        Assert.NotNull(header);
        Assert.StartsWith("Basic ", header);
        Assert.Equal($"herald-user:{Generic.Password}", Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])));
    }

    [Fact]
    public async Task SendAsync_BasicAuthenticationNonAsciiPassword_EncodedAsUtf8()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(SeedWithBasic(stub.Url(), "पासवर्ड-ü-🔑"));

        await sender.SendAsync(Generic.Message(dynamicFields: Generic.SeedFields()), Ct);

        var header = stub.Only.Header("Authorization")!;
        Assert.Equal("herald-user:पासवर्ड-ü-🔑", Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])));
    }

    [Fact]
    public async Task SendAsync_SeedWithBasic_ExchangeMasksAuthorizationAndSecretHeaders()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(SeedWithBasic(stub.Url()));

        var result = await sender.SendAsync(Generic.Message(dynamicFields: Generic.SeedFields()), Ct);

        var exchange = result.Exchange!;
        var headers = exchange.Request.Headers;
        Assert.Equal("Basic ****", Assert.Single(headers, h => h.Key == "Authorization").Value);
        Assert.Equal("****", Assert.Single(headers, h => h.Key == "api-key").Value);
        Assert.Equal("****", Assert.Single(headers, h => h.Key == "sid").Value);
        Assert.Equal("api.kaleyra.io", Assert.Single(headers, h => h.Key == "kaleyra-host").Value);
        Assert.Equal("https://clevertap.example/sms/dlr/abc123", Assert.Single(headers, h => h.Key == "callback_url").Value);
        Assert.Equal("POST", exchange.Request.Method);
        Assert.Equal(stub.Url(), exchange.Request.Url);
        Assert.Contains("to=%2B919812345678", exchange.Request.Body);
        Assert.Equal(200, exchange.Response!.Status);
        Assert.Null(exchange.Error);
        Assert.True(exchange.ElapsedMs >= 0);

        var visible = Generic.Visible(exchange);
        AssertNoSecret(visible, Generic.Password, Generic.ApiKey, Generic.Sid);
        AssertNoSecret(visible, Convert.ToBase64String(Encoding.UTF8.GetBytes($"herald-user:{Generic.Password}")));
        // ... while the provider did get them
        Assert.Equal(Generic.ApiKey, stub.Only.Header("api-key"));
    }

    [Theory]
    [InlineData("token", "tok-3f9a8b7c6d5e")]
    [InlineData("X-Auth-Token", "tok-3f9a8b7c6d5e")]
    [InlineData("client_secret", "s3cr3t value!*()'")]
    [InlineData("AccountSid", "AC1234567890abcdef")]
    [InlineData("x-api-key", "key with spaces & symbols=+/")]
    public async Task SendAsync_SecretLookingHeader_MaskedInExchange(string key, string value)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = Generic.Form(stub.Url());
        settings["headers"] = Generic.Rows((key, value), ("X-Plain", "visible"));
        var sender = Generic.Sender(settings);

        var result = await sender.SendAsync(Generic.Message(), Ct);

        Assert.Equal(value, stub.Only.Header(key));
        var headers = result.Exchange!.Request.Headers;
        Assert.Equal("****", Assert.Single(headers, h => h.Key == key).Value);
        Assert.Equal("visible", Assert.Single(headers, h => h.Key == "X-Plain").Value);
        AssertNoSecret(Generic.Visible(result.Exchange), value);
    }

    [Theory]
    [InlineData("api_key", "Ak9f3e2c1b0a")]
    [InlineData("password", "p@ss w0rd!*()'~&=+/")]
    [InlineData("auth_token", "नमस्ते-token-🔑")]
    public async Task SendAsync_SecretLookingFormParameter_MaskedInExchangeBody(string key, string value)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = Generic.Form(stub.Url());
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = key, ["value"] = value });
        var sender = Generic.Sender(settings);

        var result = await sender.SendAsync(Generic.Message(), Ct);

        Assert.Equal(value, stub.Only.FormFields[key]);
        Assert.Contains(key + "=****", result.Exchange!.Request.Body);
        AssertNoSecret(Generic.Visible(result.Exchange), value);
    }

    [Theory]
    [InlineData("api_key", "Ak9f3e2c1b0a")]
    [InlineData("password", "p@ss w0rd!*()'~&=+/")]
    [InlineData("token", "नमस्ते-token-🔑")]
    public async Task SendAsync_SecretLookingQueryParameter_MaskedInExchangeUrl(string key, string value)
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var settings = Generic.Form(stub.Url("/send"), "GET");
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = key, ["value"] = value });
        var sender = Generic.Sender(settings);

        var result = await sender.SendAsync(Generic.Message(), Ct);

        Assert.Equal(value, stub.Only.QueryFields[key]);
        Assert.Contains(key + "=****", result.Exchange!.Request.Url);
        AssertNoSecret(Generic.Visible(result.Exchange), value);
    }

    [Fact]
    public async Task SendAsync_SecretLookingJsonProperty_MaskedInExchangeBody()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        var sender = Generic.Sender(Generic.Json(stub.Url(),
            """{"auth":{"api_key":"Ak9f3e2c1b0a","user":"herald"},"to":"$$To","text":"$$Body"}"""));

        var result = await sender.SendAsync(Generic.Message(), Ct);

        Assert.Equal("Ak9f3e2c1b0a", JsonNode.Parse(stub.Only.Body)!["auth"]!["api_key"]!.GetValue<string>());
        var shown = JsonNode.Parse(result.Exchange!.Request.Body!)!;
        Assert.Equal("****", shown["auth"]!["api_key"]!.GetValue<string>());
        Assert.Equal("herald", shown["auth"]!["user"]!.GetValue<string>());
        AssertNoSecret(Generic.Visible(result.Exchange), "Ak9f3e2c1b0a");
    }

    [Fact]
    public async Task SendAsync_ProviderEchoesSecretInAnswer_MaskedInResponseBodyAndHeaders()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        stub.RespondWith(new StubResponse
        {
            Status = 401,
            Body = $$$"""{"error":{"message":"api key {{{Generic.ApiKey}}} is not valid for sid {{{Generic.Sid}}}"}}""",
            Headers = new Dictionary<string, string> { ["X-Echo"] = Generic.ApiKey, ["X-Api-Key"] = "whatever" },
        });
        var sender = Generic.Sender(Generic.Seed(stub.Url()));

        var result = await sender.SendAsync(Generic.Message(dynamicFields: Generic.SeedFields()), Ct);

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.Equal("401", permanent.Code);
        var response = result.Exchange!.Response!;
        Assert.Contains("api key **** is not valid for sid ****", response.Body);
        Assert.Equal("****", Assert.Single(response.Headers, h => h.Key == "X-Echo").Value);
        Assert.Equal("****", Assert.Single(response.Headers, h => h.Key == "X-Api-Key").Value);
        AssertNoSecret(Generic.Visible(result.Exchange), Generic.ApiKey, Generic.Sid);
    }

    [Fact]
    public async Task SendAsync_SecretInEndpointPathPlaceholderAndConnectionRefused_ErrorAndUrlMasked()
    {
        var port = ClosedPort.Get();
        var settings = Generic.Form($"http://127.0.0.1:{port}/send");
        settings["authentication"] = new JsonObject { ["type"] = "basic", ["username"] = "u", ["password"] = Generic.Password };
        var sender = Generic.Sender(settings);

        var result = await sender.SendAsync(Generic.Message(), Ct);

        Assert.IsType<SendOutcome.Transient>(result.Outcome);
        Assert.Null(result.Exchange!.Response);
        Assert.NotNull(result.Exchange.Error);
        Assert.Equal("Basic ****", Assert.Single(result.Exchange.Request.Headers, h => h.Key == "Authorization").Value);
        AssertNoSecret(Generic.Visible(result.Exchange), Generic.Password);
    }

    private static void AssertNoSecret(string visible, params string[] secrets)
    {
        foreach (var secret in secrets)
        {
            foreach (var form in new[] { secret, Uri.EscapeDataString(secret), Uri.EscapeDataString(secret).Replace("%20", "+", StringComparison.Ordinal), System.Net.WebUtility.UrlEncode(secret) })
            {
                Assert.False(visible.Contains(form, StringComparison.Ordinal), $"the secret '{secret}' is visible as '{form}' in:\n{visible}");
            }
        }
    }
}
