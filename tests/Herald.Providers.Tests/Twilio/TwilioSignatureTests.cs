using Herald.Providers.Twilio;

namespace Herald.Providers.Tests.Twilio;

/// <summary>X-Twilio-Signature as Twilio documents it (twilio.com/docs/usage/security).</summary>
public sealed class TwilioSignatureTests
{
    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";

    private static KeyValuePair<string, string>[] Parameters(string caller) =>
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", caller),
        new("Digits", "1234"),
        new("From", caller),
        new("To", "+18005551212"),
    ];

    // Twilio's page has shown the example with two sets of numbers over time; each signature was checked with Python's hmac too.
    [Theory]
    [InlineData("+14158675310", "GvWf1cFY/Q7PnoempGyD5oXAezc=")]
    [InlineData("+12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")]
    public void Compute_TwilioDocumentedExample_GivesTheDocumentedSignature(string caller, string expected)
    {
        Assert.Equal(expected, TwilioSignature.Compute("12345", Url, Parameters(caller)));
    }

    [Fact]
    public void Compute_ParametersInAnyOrder_SortsThemByName()
    {
        Assert.Equal("GvWf1cFY/Q7PnoempGyD5oXAezc=", TwilioSignature.Compute("12345", Url, Parameters("+14158675310").Reverse()));
    }

    [Fact]
    public void Matches_DocumentedExample_True()
    {
        Assert.True(TwilioSignature.Matches("12345", new Uri(Url), Parameters("+14158675310"), "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    }

    [Theory]
    [InlineData("54321", Url, "+14158675310")] // another token
    [InlineData("12345", "https://mycompany.com/myapp.php?foo=1&bar=3", "+14158675310")] // another URL
    [InlineData("12345", Url, "+14158675311")] // a changed parameter
    public void Matches_AnythingChanged_False(string token, string url, string caller)
    {
        Assert.False(TwilioSignature.Matches(token, new Uri(url), Parameters(caller), "GvWf1cFY/Q7PnoempGyD5oXAezc="));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-base64")]
    public void Matches_MissingOrGarbledSignature_False(string? signature)
    {
        Assert.False(TwilioSignature.Matches("12345", new Uri(Url), Parameters("+14158675310"), signature));
    }

    [Fact]
    public void Matches_SignedWithTheDefaultPortWrittenOut_True()
    {
        var signature = TwilioSignature.Compute("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", Parameters("+14158675310"));

        Assert.True(TwilioSignature.Matches("12345", new Uri(Url), Parameters("+14158675310"), signature));
    }
}
