using System.Net;
using System.Text;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Security;

/// <summary>Issue 14's low findings against the real executable: no 500 for hostile bodies, quiet logs, private files, /metrics key.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HostileInputTests : IAsyncLifetime
{
    private const string MetricsKey = "metrics-key-0123456789abcdef";
    private readonly string _dataDir = Path.Combine(Directory.CreateTempSubdirectory("herald-hostile-").FullName, "data");
    private HeraldProcess _herald = null!;
    private Uri _baseUrl = null!;
    private HttpClient _api = null!;

    public async ValueTask InitializeAsync()
    {
        _baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}/");
        _herald = HeraldProcess.Start(["serve", "--urls", _baseUrl.ToString(), "--data-dir", _dataDir],
            new Dictionary<string, string> { ["HERALD_API_KEY"] = HeraldInstance.ApiKey, ["Herald__Metrics__Key"] = MetricsKey });
        await _herald.WaitForOutputAsync("Herald is running");
        _api = TestHttp.Create(_baseUrl, HeraldInstance.ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _herald.DisposeAsync();
    }

    public static TheoryData<string, string> JsonRoutes => new()
    {
        { "POST", "/api/v1/providers" },
        { "PUT", "/api/v1/providers/prv_x" },
        { "POST", "/api/v1/provider-groups" },
        { "PUT", "/api/v1/provider-groups/grp_x" },
        { "POST", "/api/v1/providers/prv_x/test-sms" },
        { "POST", "/api/v1/keys" },
        { "POST", "/api/v1/messages" },
        { "POST", "/api/v1/messages/batch" },
        { "POST", "/api/v1/messages/dead-letters/retry" },
    };

    [Theory]
    [MemberData(nameof(JsonRoutes))]
    public async Task JsonRoute_BogusCharset_415NamingUtf8(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent("{}"u8.ToArray()) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=bogus");

        using var response = await _api.SendAsync(request, TestContext.Current.CancellationToken);

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("UTF-8", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_NullItem_RejectedByIndexNot500()
    {
        using var response = await _api.PostAsync("/api/v1/messages/batch",
            new StringContent("""{"messages":[null]}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        var answer = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(0, answer["rejected"]![0]!["index"]!.GetValue<int>());
    }

    [Fact]
    public async Task BrokenJson_400AndLoggedWithoutStackTrace()
    {
        for (var i = 0; i < 20; i++)
        {
            using var response = await _api.PostAsync("/api/v1/providers",
                new StringContent("""{"nickname": tru""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        Assert.DoesNotContain("   at ", _herald.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", _herald.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataFolder_OwnerOnly_DatabaseWalAndKeysToo()
    {
        // A write, so the WAL exists.
        using var created = await _api.PostAsync("/api/v1/keys", new StringContent("""{"name":"wal"}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

        Assert.Equal(OwnerFile | UnixFileMode.UserExecute, File.GetUnixFileMode(_dataDir));
        foreach (var file in new[] { "herald.db", "herald.db-wal" })
        {
            Assert.Equal(OwnerFile, File.GetUnixFileMode(Path.Combine(_dataDir, file)));
        }
        foreach (var key in Directory.GetFiles(Path.Combine(_dataDir, "keys")))
        {
            Assert.Equal(OwnerFile, File.GetUnixFileMode(key) & ~UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task Metrics_WithKeySet_401WithoutIt200WithIt()
    {
        using var anonymous = TestHttp.Create(_baseUrl);
        using var scraper = TestHttp.Create(_baseUrl, MetricsKey);

        using var refused = await anonymous.GetAsync("/metrics", TestContext.Current.CancellationToken);
        using var wrong = await _api.GetAsync("/metrics", TestContext.Current.CancellationToken);
        using var scraped = await scraper.GetAsync("/metrics", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
    }

    [Fact]
    public void Start_WithoutAdminPassword_PrintsTheSetupCode()
    {
        var code = File.ReadAllText(Path.Combine(_dataDir, "setup-code")).Trim();

        Assert.Contains(code, _herald.Output, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dataDir, "setup-code")));
    }
}
