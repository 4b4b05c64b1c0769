using System.Net;
using System.Net.Http.Headers;
using Herald.Core.Messaging;
using Herald.Providers.Http;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Providers.Tests.Http;

public sealed class HttpClassificationTests
{
    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    private static HttpResponseMessage Response(int status, Action<HttpResponseHeaders>? headers = null)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status);
        headers?.Invoke(response.Headers);
        return response;
    }

    [Fact]
    public void FromStatus_2xx_AcceptedWithGivenId()
    {
        using var response = Response(202);

        Assert.Equal(new SendOutcome.Accepted("p-1"), HttpClassification.FromStatus(response, "", "p-1", Time));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(422)]
    public void FromStatus_4xx_PermanentWithStatusCode(int status)
    {
        using var response = Response(status);

        var permanent = Assert.IsType<SendOutcome.Permanent>(HttpClassification.FromStatus(response, """{"error":{"message":"bad sender"}}""", null, Time));

        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), permanent.Code);
        Assert.Contains("bad sender", permanent.Reason);
    }

    [Fact]
    public void FromStatus_429WithRetryAfterDelta_Transient()
    {
        using var response = Response(429, h => h.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7)));

        var transient = Assert.IsType<SendOutcome.Transient>(HttpClassification.FromStatus(response, "", null, Time));

        Assert.Equal(TimeSpan.FromSeconds(7), transient.RetryAfter);
        Assert.StartsWith("HTTP 429", transient.Reason);
        Assert.False(transient.Reason.EndsWith(':'));
    }

    [Fact]
    public void RetryAfter_Date_MeasuredWithTheTimeProvider()
    {
        using var response = Response(503, h => h.RetryAfter = new RetryConditionHeaderValue(Time.GetUtcNow().AddSeconds(90)));

        Assert.Equal(TimeSpan.FromSeconds(90), HttpClassification.RetryAfter(response, Time));
    }

    [Fact]
    public void RetryAfter_DateInThePast_Zero()
    {
        using var response = Response(503, h => h.RetryAfter = new RetryConditionHeaderValue(Time.GetUtcNow().AddMinutes(-5)));

        Assert.Equal(TimeSpan.Zero, HttpClassification.RetryAfter(response, Time));
    }

    [Fact]
    public void RetryAfter_Absent_Null()
    {
        using var response = Response(503);

        Assert.Null(HttpClassification.RetryAfter(response, Time));
    }

    [Theory]
    [InlineData("""{"error":{"message":"bad sender"}}""", "bad sender")]
    [InlineData("""{"error":"invalid number"}""", "invalid number")]
    [InlineData("""{"message":"quota exceeded","error":{"code":7}}""", "quota exceeded")]
    [InlineData("  plain text  ", "plain text")]
    [InlineData("", "")]
    [InlineData("[1,2]", "[1,2]")]
    public void ErrorMessage_Body_MostUsefulText(string body, string expected)
    {
        Assert.Equal(expected, HttpClassification.ErrorMessage(body));
    }

    [Fact]
    public void ErrorMessage_LongText_CutAt300()
    {
        var message = HttpClassification.ErrorMessage(new string('e', 1000));

        Assert.Equal(301, message.Length);
        Assert.EndsWith("…", message);
    }

    [Fact]
    public void FromException_Kinds_AllTransient()
    {
        var timeout = Assert.IsType<SendOutcome.Transient>(HttpClassification.FromException(new TaskCanceledException(), TimeSpan.FromSeconds(1)));
        var connection = Assert.IsType<SendOutcome.Transient>(HttpClassification.FromException(new HttpRequestException("Connection refused"), TimeSpan.FromSeconds(1)));
        var io = Assert.IsType<SendOutcome.Transient>(HttpClassification.FromException(new IOException("reset"), TimeSpan.FromSeconds(1)));

        Assert.Contains("timeout", timeout.Reason);
        Assert.Equal(OutboundGuard.CouldNotConnect, connection.Reason); // no detail that tells ports apart
        Assert.Contains("reset", io.Reason);
    }
}
