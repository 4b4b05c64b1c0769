using Herald.Providers.Abstractions;

namespace Herald.Providers.Tests.Abstractions;

public sealed class EndpointRulesTests
{
    [Theory]
    [InlineData("https://api.kaleyra.io/v1/x/messages", false)]
    [InlineData("https://api.kaleyra.io/v1/x/messages", true)]
    [InlineData("http://127.0.0.1:8080/sms", true)]
    [InlineData("http://127.0.0.2/sms", true)]
    [InlineData("http://localhost/sms", true)]
    [InlineData("http://[::1]:9000/sms", true)]
    public void Check_AllowedUrl_Null(string url, bool allowInsecureLoopback)
    {
        Assert.Null(EndpointRules.Check(url, allowInsecureLoopback));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/sms", false, "loopback")]
    [InlineData("http://localhost/sms", false, "loopback")]
    [InlineData("http://api.example.com/sms", true, "https")]
    [InlineData("http://192.168.1.10/sms", true, "https")]
    [InlineData("http://127.0.0.1.nip.io/sms", true, "https")]
    [InlineData("ftp://api.example.com/sms", true, "ftp")]
    [InlineData("api.example.com/sms", true, "absolute")]
    [InlineData("", true, "absolute")]
    public void Check_RejectedUrl_SaysWhatToFix(string url, bool allowInsecureLoopback, string hint)
    {
        var problem = EndpointRules.Check(url, allowInsecureLoopback);

        Assert.NotNull(problem);
        Assert.Contains(hint, problem, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("http://127.0.0.1/", true)]
    [InlineData("http://[::1]/", true)]
    [InlineData("http://localhost/", true)]
    [InlineData("http://10.0.0.1/", false)]
    [InlineData("https://example.com/", false)]
    public void IsLoopback_Url_TrueOnlyForThisMachine(string url, bool expected)
    {
        Assert.Equal(expected, EndpointRules.IsLoopback(new Uri(url)));
    }
}
