using Herald.Providers.Http;

namespace Herald.Providers.Tests.Http;

public sealed class ExchangeRecorderTests
{
    [Fact]
    public void Mask_SecretInEveryEncoding_Masked()
    {
        var recorder = new ExchangeRecorder();
        recorder.AddSecret("p@ss wörd+/\"");

        var text = string.Join("|",
            "p@ss wörd+/\"",
            Uri.EscapeDataString("p@ss wörd+/\""),
            Uri.EscapeDataString("p@ss wörd+/\"").Replace("%20", "+", StringComparison.Ordinal),
            System.Net.WebUtility.UrlEncode("p@ss wörd+/\""),
            System.Text.Json.JsonEncodedText.Encode("p@ss wörd+/\"").ToString());

        Assert.Equal("****|****|****|****|****", recorder.Mask(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ab")]
    [InlineData("****")]
    public void AddSecret_EmptyShortOrMask_Ignored(string? secret)
    {
        var recorder = new ExchangeRecorder();
        recorder.AddSecret(secret);

        Assert.Equal("ab ** **** text", recorder.Mask("ab ** **** text"));
    }

    [Fact]
    public void Mask_OverlappingSecrets_LongestFirst()
    {
        var recorder = new ExchangeRecorder();
        recorder.AddSecret("abc");
        recorder.AddSecret("abcdef");

        Assert.Equal("key=**** other=****", recorder.Mask("key=abcdef other=abc"));
    }

    [Fact]
    public async Task DescribeAsync_Request_MasksAuthorizationSecretHeadersAndBody()
    {
        var recorder = new ExchangeRecorder();
        recorder.AddSecret("s3cr3t-key");
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://api.example.com/send?k=s3cr3t-key")
        {
            Content = new FormUrlEncodedContent([new("api_key", "s3cr3t-key"), new("text", "hi there")]),
        };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer anything");
        request.Headers.TryAddWithoutValidation("x-api-key", "not-registered-but-secret-by-name");
        request.Headers.TryAddWithoutValidation("X-Trace", "trace s3cr3t-key");

        var described = await recorder.DescribeAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal("POST", described.Method);
        Assert.Equal("https://api.example.com/send?k=****", described.Url);
        Assert.Equal("api_key=****&text=hi+there", described.Body);
        Assert.Contains(described.Headers, h => h.Key == "Authorization" && h.Value == "Bearer ****");
        Assert.Contains(described.Headers, h => h.Key == "x-api-key" && h.Value == "****");
        Assert.Contains(described.Headers, h => h.Key == "X-Trace" && h.Value == "trace ****");
        Assert.Contains(described.Headers, h => h.Key == "Content-Type" && h.Value.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal));
    }
}
