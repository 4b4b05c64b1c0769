using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Simulator;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security.BadInput;

/// <summary>
/// Issue 14 §3: hostile input on every route of the running server (read from its endpoint data source, so a new route is
/// covered without editing this file), as an admin API key, a signed-in dashboard session and anonymously. Every answer
/// is 2xx or 4xx (API routes: with a problem-details body) and comes within 2 s. The counts go to the test output and
/// <c>$TMPDIR/i14-hostile-counts.txt</c>.
/// </summary>
public sealed partial class BadInputSuiteTests : IAsyncLifetime, IBadInputFixture
{
    private const string AdminPassword = "bad-input-admin-password";
    private const string ConnectorUser = "clevertap";
    private const string ConnectorPassword = "connector-password-0123";
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(2);

    private static readonly IHttpClientFactory Clients = new ServiceCollection()
        .AddHttpClient("raw").ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        }).Services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>();

    private readonly SimulatorOptions _simulatorOptions = new()
    {
        Urls = "http://127.0.0.1:0",
        ApiKey = "kaleyra-api-key-secret",
        Sid = "HXIN1234567890",
        DlrDelay = TimeSpan.FromMilliseconds(50),
        DeliveryRate = 1.0,
        Seed = 14,
    };

    private SimulatorHost _simulator = null!;
    private HeraldInstance _herald = null!;
    private HttpClient _client = null!;
    private string _cookies = "";
    private string _providerId = "";
    private string _callbackToken = "";
    private string _groupId = "grp_none";
    private string _messageId = "";
    private string _keyId = "key_none";
    private string _outboxId = "obx_none";
    private readonly Dictionary<string, IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>>> _forms = [];

    public string AntiforgeryToken { get; private set; } = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(_simulatorOptions);
        _herald = await HeraldInstance.StartAsync(extra: new Dictionary<string, string?>
        {
            ["Herald:Dashboard:AdminUser"] = "admin",
            ["Herald:Dashboard:AdminPassword"] = AdminPassword,
            ["Herald:Connector:Kaleyra:Username"] = ConnectorUser,
            ["Herald:Connector:Kaleyra:Password"] = ConnectorPassword,
            ["Herald:Connector:Kaleyra:AdditionalHosts:0"] = _simulator.BaseUrl.Authority,
            ["Herald:Connector:Kaleyra:AdditionalCallbackHosts:0"] = "127.0.0.1",
        });
        _client = Clients.CreateClient("raw");
        _client.Timeout = TimeSpan.FromSeconds(30);
        await SignInAsync();
        await EnsureFixturesAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _herald.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task EveryRoute_HostileInput_Answers2xxOr4xxWithinTwoSeconds()
    {
        var routes = RouteCatalog.Read(_herald.Services);
        var sender = new HostileSender(_herald.BaseUrl, _client, Headers);
        var failures = new List<string>();
        var byClass = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var byCaller = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var perRoute = new List<string>();
        var total = 0;
        var worst = TimeSpan.Zero;

        // Sign-out and sign-in last (the session must outlive the suite), and on each route its DELETE cases last.
        foreach (var route in routes.OrderBy(r => r.Pattern is "/signout" ? 2 : r.Pattern is "/signin" ? 1 : 0).ThenBy(r => r.Pattern, StringComparer.Ordinal))
        {
            await EnsureFixturesAsync();
            var requests = HostileRequests.For(route, this).OrderBy(r => r.Method == "DELETE").ToList();
            perRoute.Add($"  {requests.Count,6}  {route.Key}");
            if (requests.Count == 0)
            {
                failures.Add($"{route.Key}: no generated cases");
                continue;
            }
            foreach (var request in requests)
            {
                var answer = await sender.SendAsync(request, Ct);
                if (answer.Elapsed > Slow)
                {
                    // A 2-core machine shared with other builds: a slow answer must be slow twice to count.
                    answer = await sender.SendAsync(request, Ct);
                }
                total++;
                worst = answer.Elapsed > worst ? answer.Elapsed : worst;
                var statusClass = answer.Status switch { <= 0 => "no answer", _ => $"{answer.Status / 100}xx" };
                byClass[statusClass] = byClass.GetValueOrDefault(statusClass) + 1;
                byCaller[$"{request.Caller} {statusClass}"] = byCaller.GetValueOrDefault($"{request.Caller} {statusClass}") + 1;
                if (Problem(request, answer) is { } problem)
                {
                    failures.Add($"{request} → {problem}");
                }
            }
        }

        var report = new StringBuilder()
            .AppendLine($"Bad-input suite: {total} requests over {routes.Count} routes; slowest answer {worst.TotalMilliseconds:0} ms")
            .AppendLine("By status class: " + string.Join(", ", byClass.Select(c => $"{c.Key} {c.Value}")))
            .AppendLine("By caller: " + string.Join(", ", byCaller.Select(c => $"{c.Key} {c.Value}")))
            .AppendLine($"Failures: {failures.Count}")
            .AppendLine("Requests per route:")
            .AppendJoin(Environment.NewLine, perRoute).AppendLine();
        TestContext.Current.SendDiagnosticMessage(report.ToString());
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        await File.WriteAllTextAsync(Path.Combine(Path.GetTempPath(), "i14-hostile-counts.txt"),
            report.ToString() + string.Join(Environment.NewLine, failures), Ct);

        Assert.True(failures.Count == 0, $"{failures.Count} bad answers:\n{string.Join("\n", failures.Take(60))}");
        Assert.DoesNotContain(byClass.Keys, k => k.StartsWith('5'));
    }

    [Fact]
    public void RouteCatalog_EveryRouteHasCases_IncludingPagesAndPublicEndpoints()
    {
        var routes = RouteCatalog.Read(_herald.Services);

        Assert.All(routes, r => Assert.NotEmpty(HostileRequests.For(r, this).Take(1)));
        foreach (var expected in new[] { "/dlr/{providerId}/{token}", "/inbound/{providerId}/{token}", "/l/{code}", "/connect/kaleyra", "/api/v1/messages/batch", "/signin", "/setup", "/providers/{Id}", "/keys" })
        {
            Assert.Contains(routes, r => r.Pattern == expected);
        }
    }

    private static string? Problem(HostileRequest request, HostileAnswer answer)
    {
        if (answer.Status == -1)
        {
            return "no answer within 20 s";
        }
        if (answer.Status >= 500)
        {
            return $"{answer.Status}: {answer.Body}";
        }
        if (answer.Status == 0 && request.Wire != Wire.TruncatedBody && request.Wire != Wire.BrokenChunks)
        {
            return $"the connection closed without an answer ({answer.Body})";
        }
        if (answer.Elapsed > Slow)
        {
            return $"answered {answer.Status} after {answer.Elapsed.TotalMilliseconds:0} ms (twice over 2 s)";
        }
        // Kestrel answers a request line or header section it cannot read before any of Herald's code runs: no body there.
        // (Herald's status-code pages give every empty answer of its own pipeline a problem body, so an empty 400 is Kestrel's: a %00 in the path.)
        var beforeHerald = request.Wire == Wire.RawTarget || answer.Status is 414 or 431 || (answer.Status == 400 && answer.Body.Length == 0 && answer.ContentType is null);
        if (request.Route.IsApi && answer.Status is >= 400 and < 500 && !beforeHerald && answer.ContentType != "application/problem+json")
        {
            return $"{answer.Status} without a problem-details body (Content-Type {answer.ContentType ?? "none"}): {answer.Body}";
        }
        return null;
    }

    private List<KeyValuePair<string, string>> Headers(Caller caller, RouteInfo route)
    {
        var headers = new List<KeyValuePair<string, string>>();
        if (route.Pattern == "/connect/kaleyra")
        {
            // The seed's headers, so the connector reads the form (with the credentials unless anonymous).
            headers.Add(new("api-key", _simulatorOptions.ApiKey));
            headers.Add(new("sid", _simulatorOptions.Sid));
            headers.Add(new("kaleyra-host", _simulator.BaseUrl.Authority));
            headers.Add(new("callback_url", "http://127.0.0.1:9/clevertap"));
            if (caller != Caller.Anonymous)
            {
                headers.Add(new("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ConnectorUser}:{ConnectorPassword}"))));
            }
            return headers;
        }
        switch (caller)
        {
            case Caller.ApiKey:
                headers.Add(new("Authorization", "Bearer " + HeraldInstance.ApiKey));
                break;
            case Caller.Session:
                headers.Add(new("Cookie", _cookies));
                headers.Add(new("RequestVerificationToken", AntiforgeryToken));
                break;
        }
        return headers;
    }

    // ------------------------------------------------------------ IBadInputFixture

    public string RouteValue(RouteInfo route, string parameter)
    {
        var pattern = route.Pattern;
        return parameter.ToLowerInvariant() switch
        {
            "providerid" => _providerId,
            "token" when pattern.StartsWith("/dlr/", StringComparison.Ordinal) || pattern.StartsWith("/inbound/", StringComparison.Ordinal) => _callbackToken,
            "token" => $"{_messageId}.not-the-token",
            "name" when pattern.StartsWith("/assets/", StringComparison.Ordinal) => "dashboard.css",
            "id" when pattern.Contains("provider-groups", StringComparison.Ordinal) => _groupId,
            "id" when pattern.Contains("providers", StringComparison.Ordinal) => _providerId,
            "id" when pattern.Contains("keys", StringComparison.Ordinal) => _keyId,
            "id" when pattern.Contains("outbox", StringComparison.Ordinal) => _outboxId,
            "id" when pattern.Contains("messages", StringComparison.Ordinal) => _messageId,
            _ => "x",
        };
    }

    public long BodyLimit(RouteInfo route) => route.Pattern == "/api/v1/messages/batch" ? 16L * 1024 * 1024 : 1024 * 1024;

    public IReadOnlyList<SampleBody> Samples(RouteInfo route)
    {
        var message = new JsonObject { ["to"] = "+919812345678", ["body"] = "Your code is 1234", ["provider"] = _providerId, ["type"] = "otp", ["dynamicFields"] = new JsonObject { ["sender"] = "KLRHXA" } };
        FormSample Form(params (string Key, string Value)[] fields) =>
            new([.. fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)), new("__RequestVerificationToken", AntiforgeryToken)]);
        switch (route.Pattern)
        {
            case "/dlr/{providerId}/{token}":
                return [
                    new JsonSample(JsonNode.Parse($$"""[{"event":"delivered","data":[{"ts":1700000000,"meta":"{{_messageId}}","code":"","description":"ok"}]}]""")!),
                    new FormSample([new("id", "kaleyra-id-1"), new("status", "DELIVRD"), new("status_details", "DELIVRD"), new("ref", _messageId), new("mobile", "919812345678")]),
                ];
            case "/inbound/{providerId}/{token}":
                return [
                    new FormSample([new("sender", "919812345678"), new("receiver", "919000000000"), new("message", "STOP"), new("id", "in-1")]),
                    new JsonSample(JsonNode.Parse("""{"from":"+919812345678","to":"+919000000000","text":"HELP","id":"in-2"}""")!),
                ];
            case "/connect/kaleyra/callback/{token}":
                return [new FormSample([new("id", "kaleyra-id-1"), new("status", "DELIVRD"), new("status_details", "DELIVRD"), new("ref", _messageId)])];
            case "/connect/kaleyra":
                return [new FormSample([new("to", "919812345678"), new("sender", "KLRHXA"), new("body", "Your code is 1234"), new("template_id", "1107161234567890123"),
                    new("message_id", "ct-1"), new("campaign_id", "c1"), new("type", "OTP"), new("long_url", "")])];
            case "/api/v1/messages/batch":
                return [new JsonSample(new JsonObject { ["messages"] = new JsonArray(message.DeepClone(), message.DeepClone()) })];
            case "/dashboard/providers/{id}/test-sms":
                return [Form(("countryCode", "+91"), ("mobile", "9812345678"), ("message", "hello"), ("fields[0].key", "sender"), ("fields[0].value", "KLRHXA"))];
            case "/dashboard/providers/{id}/segments":
                return [Form(("message", "hello"))];
            case "/signout":
                return [Form()];
        }
        if (route.BodyType is null)
        {
            return [];
        }
        var sample = HostileRequests.SampleOf(route.BodyType, name => name switch
        {
            "to" => "+919812345678",
            "provider" or "providers[]" => _providerId,
            "body" or "message" => "hello",
            "mobile" => "9812345678",
            "countryCode" => "+91",
            "since" => "1h",
            "status" => "failed",
            "kind" => "generic",
            "type" => "otp",
            "settings" => JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(
                HeraldInstance.SeedProvider("x", _simulator, _simulatorOptions, "https://placeholder.invalid/")))!["settings"]!.DeepClone(),
            "dynamicFields" => new JsonObject { ["sender"] = "KLRHXA" },
            _ => null,
        });
        return sample is null ? [] : [new JsonSample(sample)];
    }

    public IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> RenderedForms(RouteInfo route) =>
        _forms.TryGetValue(route.Pattern, out var forms) ? forms : [];

    // ------------------------------------------------------------ set-up

    private async Task SignInAsync()
    {
        using var page = await _client.GetAsync(new Uri(_herald.BaseUrl, "/signin"), Ct);
        var html = await page.Content.ReadAsStringAsync(Ct);
        var cookies = CookiesOf(page, new Dictionary<string, string>());
        var fields = HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
        fields["Input.Username"] = "admin";
        fields["Input.Password"] = AdminPassword;
        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri(_herald.BaseUrl, "/signin")) { Content = new FormUrlEncodedContent(fields) };
        post.Headers.Add("Cookie", Join(cookies));
        using var signedIn = await _client.SendAsync(post, Ct);
        cookies = CookiesOf(signedIn, cookies);
        Assert.Contains("herald_session", cookies.Keys);
        _cookies = Join(cookies);
        // A token for the signed-in user, from a page.
        using var keys = await GetPageAsync("/keys");
        cookies = CookiesOf(keys, cookies);
        _cookies = Join(cookies);
        var keysHtml = await keys.Content.ReadAsStringAsync(Ct);
        AntiforgeryToken = WebUtility.HtmlDecode(HiddenInput().Matches(keysHtml).First(m => m.Groups[1].Value == "__RequestVerificationToken").Groups[2].Value);
    }

    private async Task<HttpResponseMessage> GetPageAsync(string path, bool mustExist = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_herald.BaseUrl, path));
        request.Headers.Add("Cookie", _cookies);
        var response = await _client.SendAsync(request, Ct);
        Assert.True(!mustExist || response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode}");
        return response;
    }

    /// <summary>A provider, a group, a message, a key and an outbox entry to name in routes; made again when a DELETE case removed them.</summary>
    private async Task EnsureFixturesAsync()
    {
        var api = _herald.Api;
        using (var existing = await api.GetAsync($"/api/v1/providers/{_providerId}", Ct))
        {
            if (_providerId.Length == 0 || existing.StatusCode == HttpStatusCode.NotFound)
            {
                var provider = await _herald.CreateSeedProviderAsync(_simulator, _simulatorOptions, "Fuzz_" + Guid.NewGuid().ToString("N")[..8]);
                _providerId = provider["id"]!.GetValue<string>();
                _callbackToken = provider["callbackUrl"]!.GetValue<string>().Split('/')[^1];
                using var sent = await api.PostAsJsonAsync("/api/v1/messages", new { to = "+919812345678", body = "hello", provider = _providerId, dynamicFields = new { sender = "KLRHXA" } }, Ct);
                _messageId = (await HeraldInstance.ReadObjectAsync(sent, HttpStatusCode.Accepted))["id"]!.GetValue<string>();
                _forms.Clear();
            }
        }
        using (var group = await api.GetAsync($"/api/v1/provider-groups/{_groupId}", Ct))
        {
            if (group.StatusCode == HttpStatusCode.NotFound)
            {
                using var created = await api.PostAsJsonAsync("/api/v1/provider-groups", new { name = "fuzz-" + Guid.NewGuid().ToString("N")[..8], providers = new[] { _providerId } }, Ct);
                if (created.IsSuccessStatusCode)
                {
                    _groupId = (await created.Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"]!.GetValue<string>();
                }
            }
        }
        using (var keys = await api.GetAsync("/api/v1/keys", Ct))
        {
            var list = (await keys.Content.ReadFromJsonAsync<JsonObject>(Ct))!["items"]!.AsArray();
            if (!list.Any(k => k!["id"]!.GetValue<string>() == _keyId && k["revokedAt"] is null))
            {
                using var created = await api.PostAsJsonAsync("/api/v1/keys", new { name = "fuzz" }, Ct);
                _keyId = (await created.Content.ReadFromJsonAsync<JsonObject>(Ct))!["id"]!.GetValue<string>();
            }
        }
        using (var outbox = await api.GetAsync("/api/v1/outbox", Ct))
        {
            if (outbox.IsSuccessStatusCode && (await outbox.Content.ReadFromJsonAsync<JsonObject>(Ct))?["items"]?.AsArray().FirstOrDefault() is { } entry)
            {
                _outboxId = entry["id"]!.ToString();
            }
        }
        if (_forms.Count == 0)
        {
            foreach (var route in RouteCatalog.Read(_herald.Services).Where(r => r.IsPage && r.TakesBody))
            {
                var path = Regex.Replace(route.Pattern, "\\{([^}:?]+)[^}]*\\}", m => Uri.EscapeDataString(RouteValue(route, m.Groups[1].Value)));
                using var page = await GetPageAsync(path, mustExist: false);
                _forms[route.Pattern] = Forms(await page.Content.ReadAsStringAsync(Ct), path);
            }
        }
    }

    /// <summary>The POST forms of a page that post back to it, with every named field and its value.</summary>
    private static List<IReadOnlyList<KeyValuePair<string, string>>> Forms(string html, string path)
    {
        var forms = new List<IReadOnlyList<KeyValuePair<string, string>>>();
        foreach (Match form in FormElement().Matches(html))
        {
            var attributes = form.Groups[1].Value;
            var action = Attribute().Matches(attributes).FirstOrDefault(a => a.Groups[1].Value == "action")?.Groups[2].Value;
            if (!attributes.Contains("method=\"post\"", StringComparison.OrdinalIgnoreCase) || (action is not null && action != path))
            {
                continue;
            }
            var fields = new List<KeyValuePair<string, string>>();
            foreach (Match input in Input().Matches(form.Groups[2].Value))
            {
                var attrs = Attribute().Matches(input.Groups[2].Value).ToDictionary(a => a.Groups[1].Value, a => WebUtility.HtmlDecode(a.Groups[2].Value));
                if (attrs.TryGetValue("name", out var name) && !(attrs.GetValueOrDefault("type") is "checkbox" or "radio" && !attrs.ContainsKey("checked")))
                {
                    fields.Add(new(name, attrs.GetValueOrDefault("value") ?? ""));
                }
            }
            forms.Add(fields);
        }
        return forms.Take(6).ToList();
    }

    private static Dictionary<string, string> CookiesOf(HttpResponseMessage response, Dictionary<string, string> cookies)
    {
        var merged = new Dictionary<string, string>(cookies);
        if (response.Headers.TryGetValues("Set-Cookie", out var set))
        {
            foreach (var cookie in set.Select(c => c.Split(';')[0]))
            {
                var equals = cookie.IndexOf('=', StringComparison.Ordinal);
                merged[cookie[..equals]] = cookie[(equals + 1)..];
            }
        }
        return merged;
    }

    private static string Join(Dictionary<string, string> cookies) => string.Join("; ", cookies.Select(c => $"{c.Key}={c.Value}"));

    [GeneratedRegex("""<input type="hidden" name="([^"]+)" value="([^"]*)"\s*/?>""")]
    private static partial Regex HiddenInput();

    [GeneratedRegex("""<form\b([^>]*)>(.*?)</form>""", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex FormElement();

    [GeneratedRegex("""<(input|select|textarea)\b([^>]*)>""", RegexOptions.IgnoreCase)]
    private static partial Regex Input();

    [GeneratedRegex(@"([\w.\-:\[\]]+)=""([^""]*)""")]
    private static partial Regex Attribute();
}
