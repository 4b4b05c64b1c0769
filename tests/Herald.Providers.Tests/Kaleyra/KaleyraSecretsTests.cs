using System.Text.Json.Nodes;
using Herald.Core.Messaging;
using Herald.Providers.Abstractions;
using Herald.Providers.Tests.Infrastructure;

namespace Herald.Providers.Tests.Kaleyra;

/// <summary>The api key and the account SID are secrets: masked in settings answers, kept on update, never in an exchange.</summary>
public sealed class KaleyraSecretsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void TransformSecrets_Mask_MasksApiKeyAndSid()
    {
        var masked = JsonNode.Parse(KaleyraFixture.Kind.TransformSecrets(KaleyraFixture.Valid(KaleyraFixture.Settings()), _ => Secrets.Mask))!;

        Assert.Equal(Secrets.Mask, (string?)masked["apiKey"]);
        Assert.Equal(Secrets.Mask, (string?)masked["sid"]);
        Assert.Equal("api.in.kaleyra.io", (string?)masked["host"]);
        Assert.Equal("KLRHXA", (string?)masked["sender"]);
        Assert.DoesNotContain(KaleyraFixture.ApiKey, masked.ToJsonString());
        Assert.DoesNotContain(KaleyraFixture.Sid, masked.ToJsonString());
    }

    [Fact]
    public void KeepMaskedSecrets_MaskedSid_PassesValidationAndKeepsTheStoredOne()
    {
        var existing = KaleyraFixture.Valid(KaleyraFixture.Settings());
        var incoming = KaleyraFixture.Settings();
        incoming["apiKey"] = Secrets.Mask;
        incoming["sid"] = Secrets.Mask;

        var kept = JsonNode.Parse(KaleyraFixture.Kind.KeepMaskedSecrets(KaleyraFixture.Valid(incoming), existing))!;

        Assert.Equal(KaleyraFixture.Sid, (string?)kept["sid"]);
        Assert.Equal(KaleyraFixture.ApiKey, (string?)kept["apiKey"]);
    }

    [Fact]
    public void TransformSecrets_ProtectThenUnprotect_RoundTrips()
    {
        var original = KaleyraFixture.Valid(KaleyraFixture.Settings());

        var protectedSettings = KaleyraFixture.Kind.TransformSecrets(original, v => "enc:" + new string(v.Reverse().ToArray()));
        var restored = KaleyraFixture.Kind.TransformSecrets(protectedSettings, v => new string(v["enc:".Length..].Reverse().ToArray()));

        Assert.DoesNotContain(KaleyraFixture.ApiKey, protectedSettings);
        Assert.Equal(original, restored);
    }

    [Fact]
    public void KeepMaskedSecrets_MaskedApiKey_KeepsTheStoredOne()
    {
        var existing = KaleyraFixture.Valid(KaleyraFixture.Settings());
        var incoming = KaleyraFixture.Settings("api.eu.kaleyra.io");
        incoming["apiKey"] = Secrets.Mask;

        var kept = JsonNode.Parse(KaleyraFixture.Kind.KeepMaskedSecrets(KaleyraFixture.Valid(incoming), existing))!;

        Assert.Equal(KaleyraFixture.ApiKey, (string?)kept["apiKey"]);
        Assert.Equal("api.eu.kaleyra.io", (string?)kept["host"]);
    }

    [Fact]
    public void KeepMaskedSecrets_NewApiKey_TakesTheNewOne()
    {
        var existing = KaleyraFixture.Valid(KaleyraFixture.Settings());
        var incoming = KaleyraFixture.Settings();
        incoming["apiKey"] = "kl-rotated-key-0001";

        var kept = JsonNode.Parse(KaleyraFixture.Kind.KeepMaskedSecrets(KaleyraFixture.Valid(incoming), existing))!;

        Assert.Equal("kl-rotated-key-0001", (string?)kept["apiKey"]);
    }

    [Fact]
    public async Task SendAsync_Accepted_ApiKeySentButNeverInTheExchange()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        KaleyraFixture.AnswerLikeKaleyra(stub);

        var result = await KaleyraFixture.Sender(KaleyraFixture.Settings(stub)).SendAsync(KaleyraFixture.Message(), Ct);

        Assert.Equal(KaleyraFixture.ApiKey, stub.Only.Header("api-key"));
        Assert.IsType<SendOutcome.Accepted>(result.Outcome);
        Assert.Contains(result.Exchange!.Request.Headers, h => h.Key == "api-key" && h.Value == Secrets.Mask);
        Assert.DoesNotContain(KaleyraFixture.ApiKey, Generic.Visible(result.Exchange));
    }

    [Fact]
    public async Task SendAsync_AnswerEchoesTheApiKey_MaskedInTheExchange()
    {
        await using var stub = await StubProvider.StartAsync(Ct);
        stub.RespondWith(StubResponse.Json($$$"""{"error":{"code":"E401","message":"Invalid api-key {{{KaleyraFixture.ApiKey}}}"}}""", 401));

        var result = await KaleyraFixture.Sender(KaleyraFixture.Settings(stub)).SendAsync(KaleyraFixture.Message(), Ct);

        var permanent = Assert.IsType<SendOutcome.Permanent>(result.Outcome);
        Assert.DoesNotContain(KaleyraFixture.ApiKey, permanent.Reason);
        Assert.DoesNotContain(KaleyraFixture.ApiKey, Generic.Visible(result.Exchange!));
        Assert.Contains("Invalid api-key ****", result.Exchange!.Response!.Body);
    }
}
