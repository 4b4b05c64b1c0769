using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Dispatch;

/// <summary>Numbers without a country code and overlong texts are refused at the door, through every way in.</summary>
public sealed class NumberAndLengthTests : IAsyncLifetime
{
    private StubProvider _stub = null!;
    private HeraldInstance _herald = null!;

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        _herald = await HeraldInstance.StartAsync();
        await CreateProviderAsync(_herald, "Stub");
    }

    public async ValueTask DisposeAsync()
    {
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    private async Task<JsonObject> CreateProviderAsync(HeraldInstance herald, string nickname, object? limits = null) =>
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname,
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
            limits,
        }), HttpStatusCode.Created);

    private static async Task<JsonObject> PostAsync(HeraldInstance herald, string path, object body, HttpStatusCode expected) =>
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync(path, body), expected);

    private static string Error(JsonObject problem, string field) => problem["errors"]![field]![0]!.GetValue<string>();

    [Fact]
    public async Task Send_NationalNumberWithoutCountryCode_400ShowsE164()
    {
        var problem = await PostAsync(_herald, "/api/v1/messages", new { to = "9812345678", body = "hi", provider = "Stub" }, HttpStatusCode.BadRequest);

        Assert.Equal("'9812345678' has no country code: write it in E.164, e.g. +919812345678 for an Indian number, or give a countryCode (a default for every request: Herald:DefaultCountry).",
            Error(problem, "to"));
    }

    [Theory]
    [InlineData("00919812345678", null)]
    [InlineData("0091 98123 45678", null)]
    [InlineData("9812345678", "+91")]
    [InlineData("+919812345678", "+44")]
    public async Task Send_DoubleZeroOrCountryCode_StoredAsE164(string to, string? countryCode)
    {
        var answer = await PostAsync(_herald, "/api/v1/messages", new { to, countryCode, body = "hi", provider = "Stub" }, HttpStatusCode.Accepted);

        var message = await _herald.GetMessageAsync(answer["id"]!.GetValue<string>());
        Assert.Equal("+919812345678", message["to"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_InvalidNumber_OneSentence()
    {
        var problem = await PostAsync(_herald, "/api/v1/messages", new { to = "00abc", body = "hi", provider = "Stub" }, HttpStatusCode.BadRequest);

        Assert.Equal("'00abc' is not a phone number: write it in E.164 with + and the country code, e.g. +919812345678.", Error(problem, "to"));
    }

    [Fact]
    public async Task Batch_NationalNumber_ThatItemRejected()
    {
        var answer = await PostAsync(_herald, "/api/v1/messages/batch", new
        {
            messages = new object[] { new { to = "+919812345671", body = "one", provider = "Stub" }, new { to = "9812345672", body = "two", provider = "Stub" } },
        }, HttpStatusCode.Accepted);

        Assert.Single(answer["accepted"]!.AsArray());
        var rejected = Assert.Single(answer["rejected"]!.AsArray());
        Assert.Contains("has no country code", rejected!["errors"]!["to"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestSms_MobileWithoutCountryCode_400ShowsE164()
    {
        var problem = await PostAsync(_herald, "/api/v1/providers/Stub/test-sms", new { mobile = "9812345678", message = "hi" }, HttpStatusCode.BadRequest);

        Assert.Contains("e.g. +919812345678", Error(problem, "mobile"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_DefaultCountryConfigured_NationalNumberAccepted()
    {
        await using var herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?> { ["Herald:DefaultCountry"] = "+91" });
        await CreateProviderAsync(herald, "Stub");

        var answer = await PostAsync(herald, "/api/v1/messages", new { to = "9812345678", body = "hi" }, HttpStatusCode.Accepted);
        var test = await PostAsync(herald, "/api/v1/providers/Stub/test-sms", new { mobile = "9812345678", message = "hi" }, HttpStatusCode.OK);

        Assert.Equal("+919812345678", (await herald.GetMessageAsync(answer["id"]!.GetValue<string>()))["to"]!.GetValue<string>());
        Assert.Equal("+919812345678", (await herald.GetMessageAsync(test["messageId"]!.GetValue<string>()))["to"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_FiftyThousandEmoji_400StatesLengthEncodingSegments()
    {
        var body = string.Concat(Enumerable.Repeat("😀", 50_000));

        var problem = await PostAsync(_herald, "/api/v1/messages", new { to = "+919812345678", body, provider = "Stub" }, HttpStatusCode.BadRequest);

        Assert.Equal("The message is 50,000 characters (100,000 UTF-16 units) in UCS-2, which makes 1,516 segments; at most 10 segments (670 UCS-2 units) are allowed, so shorten it.",
            Error(problem, "body"));
        var list = await HeraldInstance.ReadObjectAsync(await _herald.Api.GetAsync("/api/v1/messages"), HttpStatusCode.OK);
        Assert.Empty(list["items"]!.AsArray()); // nothing stored
    }

    [Fact]
    public async Task Send_ProviderMaxSegments_OverridesTheServerCap()
    {
        var provider = await CreateProviderAsync(_herald, "Short", new { maxSegments = 1 });
        Assert.Equal(1, provider["limits"]!["maxSegments"]!.GetValue<int>());

        await PostAsync(_herald, "/api/v1/messages", new { to = "+919812345678", body = new string('a', 160), provider = "Short" }, HttpStatusCode.Accepted);
        var problem = await PostAsync(_herald, "/api/v1/messages", new { to = "+919812345678", body = new string('a', 161), provider = "Short" }, HttpStatusCode.BadRequest);
        await PostAsync(_herald, "/api/v1/messages", new { to = "+919812345678", body = new string('a', 161), provider = "Stub" }, HttpStatusCode.Accepted);

        Assert.Contains("161 characters in GSM-7, which makes 2 segments; at most 1 segments (160 GSM-7 characters)", Error(problem, "body"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestSms_Answer_ShowsEncodingAndSegments_AndTooLongIs400()
    {
        var result = await PostAsync(_herald, "/api/v1/providers/Stub/test-sms", new { to = "+919812345678", message = "नमस्ते, this is a test" }, HttpStatusCode.OK);
        var problem = await PostAsync(_herald, "/api/v1/providers/Stub/test-sms", new { to = "+919812345678", message = new string('x', 2000) }, HttpStatusCode.BadRequest);

        Assert.Equal("ucs2", result["encoding"]!.GetValue<string>());
        Assert.Equal(1, result["segments"]!.GetValue<int>());
        Assert.Contains("2,000 characters in GSM-7, which makes 14 segments", Error(problem, "message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_EmptyBearer_401SaysTheKeyIsEmpty()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/providers");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer ");

        var problem = await HeraldInstance.ReadObjectAsync(await _herald.Anonymous.SendAsync(request), HttpStatusCode.Unauthorized);

        Assert.StartsWith("The API key after 'Bearer' is empty: is HERALD_API_KEY set?", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
