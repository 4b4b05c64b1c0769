using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Api.Audit;
using Herald.Security;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security;

/// <summary>
/// Issue 14 §2: API keys with scopes. The rules are written here, independently of the code that enforces them: admin may
/// call everything; read every GET and nothing else; send only submits messages and reads messages back (its own). Every
/// /api/v1 route the app maps is enumerated from its EndpointDataSource, so a new route is checked without anyone listing it.
/// </summary>
public sealed class ApiScopeTests : IAsyncLifetime
{
    /// <summary>The only routes a send key may call.</summary>
    private static readonly HashSet<string> SendRoutes =
    [
        "POST /api/v1/messages",
        "POST /api/v1/messages/batch",
        "GET /api/v1/messages",
        "GET /api/v1/messages/{id}",
        "POST /api/v1/contacts",
        "POST /api/v1/contacts/import",
        "POST /api/v1/identify",
        "POST /api/v1/track",
        "POST /api/v1/page",
        "POST /api/v1/screen",
        "POST /api/v1/group",
        "POST /api/v1/alias",
        "POST /api/v1/batch",
    ];

    /// <summary>POSTs that only read (a sample or an unsaved rule goes in the body; nothing is stored): read keys may call them.</summary>
    private static readonly HashSet<string> ReadPosts =
    [
        "POST /api/v1/segments/count",
        "POST /api/v1/providers/{id}/reports/preview",
        "POST /api/v1/dlt/templates/{templateId}/check",
        "POST /api/v1/campaigns/{id}/dry-run",
        "POST /api/v1/journeys/validate",
    ];

    private HeraldInstance _herald = null!;
    private StubProvider _stub = null!;
    private readonly Dictionary<string, (string Id, HttpClient Client)> _keys = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static bool Allowed(string scope, string method, string route) => scope switch
    {
        ApiScopes.Admin => true,
        ApiScopes.Read => method == HttpMethods.Get || ReadPosts.Contains($"{method} {route}"),
        ApiScopes.Send => SendRoutes.Contains($"{method} {route}"),
        _ => false,
    };

    public async ValueTask InitializeAsync()
    {
        _stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        _herald = await HeraldInstance.StartAsync();
        foreach (var scope in ApiScopes.All)
        {
            _keys[scope] = await CreateKeyAsync(scope + "-key", scope);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, client) in _keys.Values)
        {
            client.Dispose();
        }
        await _herald.DisposeAsync();
        await _stub.DisposeAsync();
    }

    private async Task<(string Id, HttpClient Client)> CreateKeyAsync(string name, string scope)
    {
        var created = await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/keys", new { name, scope }, Ct), HttpStatusCode.Created);
        Assert.Equal(scope, created["scope"]!.GetValue<string>());
        return (created["id"]!.GetValue<string>(), TestHttp.Create(_herald.BaseUrl, created["key"]!.GetValue<string>()));
    }

    private IReadOnlyList<(string Method, string Route, Endpoint Endpoint)> ApiRoutes() =>
        [.. _herald.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.TrimStart('/').StartsWith("api/v1", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => (m, "/" + e.RoutePattern.RawText!.Trim('/'), (Endpoint)e)))
            .OrderBy(r => r.Item2, StringComparer.Ordinal).ThenBy(r => r.m, StringComparer.Ordinal)];

    [Fact]
    public void Endpoints_EveryApiRoute_DeclaresTheScopeTheRulesGiveIt()
    {
        var routes = ApiRoutes();
        Assert.True(routes.Count >= 25, $"only {routes.Count} API routes found: is the enumeration broken?");
        var problems = new List<string>();
        foreach (var (method, route, endpoint) in routes)
        {
            var declared = endpoint.Metadata.GetMetadata<ApiAccessMetadata>();
            if (declared is null)
            {
                problems.Add($"{method} {route} declares no scope: add .RequireScope(ApiAccess...) where it is mapped");
                continue;
            }
            foreach (var scope in ApiScopes.All)
            {
                if (declared.Scopes.Contains(scope) != Allowed(scope, method, route))
                {
                    problems.Add($"{method} {route} is {declared.Access}, but the rules {(Allowed(scope, method, route) ? "allow" : "forbid")} a {scope} key");
                }
            }
            // An admin change is audited; submitting a message is not an admin change (the message and its timeline record it).
            if (method != HttpMethods.Get && declared.Access == ApiAccess.Admin && endpoint.Metadata.GetMetadata<AuditActionMetadata>() is null)
            {
                problems.Add($"{method} {route} is an admin change but writes no audit entry: give RequireScope an audit action");
            }
        }
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Scopes_EveryApiRouteCalledWithEachScope_ForbiddenExactlyWhereTheRulesSay()
    {
        var failures = new List<string>();
        var calls = 0;
        foreach (var (method, route, endpoint) in ApiRoutes())
        {
            var path = string.Join('/', route.Split('/').Select(s => s.StartsWith('{') ? "0" : s));
            // A route that declares what it accepts (CSV, a form) refuses anything else at routing, before any key is looked at.
            var contentType = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is { ContentTypes.Count: > 0 } accepts ? accepts.ContentTypes[0] : "application/json";
            // Read and send first: the admin call may change something (a bulk retry of nothing, here).
            foreach (var scope in new[] { ApiScopes.Read, ApiScopes.Send, ApiScopes.Admin })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = new StringContent(contentType == "application/json" ? "{}" : "", Encoding.UTF8, contentType);
                }
                using var response = await _keys[scope].Client.SendAsync(request, Ct);
                calls++;
                var status = (int)response.StatusCode;
                if (Allowed(scope, method, route))
                {
                    if (status is 401 or 403)
                    {
                        failures.Add($"{scope} {method} {path}: {status}, but the rules allow it");
                    }
                }
                else if (status != 403)
                {
                    failures.Add($"{scope} {method} {path}: {status}, expected 403");
                }
                else
                {
                    var body = await response.Content.ReadAsStringAsync(Ct);
                    if (!body.Contains($"scope '{scope}'", StringComparison.Ordinal))
                    {
                        failures.Add($"{scope} {method} {path}: the 403 does not say which scope the key has: {body}");
                    }
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {calls} calls broke the rules:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
    }

    [Fact]
    public async Task DeclaredPolicy_RouteWithoutAScope_RefusedEvenForAnAdminKey()
    {
        // The /api/v1 group's own policy: a route someone maps without RequireScope fails closed.
        var authorization = _herald.Services.GetRequiredService<Microsoft.AspNetCore.Authorization.IAuthorizationService>();
        var admin = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new(System.Security.Claims.ClaimTypes.NameIdentifier, "key_x"), new(ApiScopes.ClaimType, ApiScopes.Admin)], ApiKeyAuthenticationHandler.SchemeName));
        var undeclared = new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(), "undeclared");
        var declared = new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(new ApiAccessMetadata(ApiAccess.Admin)), "declared");

        Assert.False((await authorization.AuthorizeAsync(admin, undeclared, ApiPolicies.Declared)).Succeeded);
        Assert.True((await authorization.AuthorizeAsync(admin, declared, ApiPolicies.Declared)).Succeeded);
    }

    [Fact]
    public async Task Scopes_NoKeyOrRevokedKey_401OnEveryRoute()
    {
        var (id, client) = await CreateKeyAsync("short-lived", ApiScopes.Admin);
        Assert.Equal(HttpStatusCode.NoContent, (await _herald.Api.DeleteAsync($"/api/v1/keys/{id}", Ct)).StatusCode);
        foreach (var (method, route, _) in ApiRoutes())
        {
            var path = string.Join('/', route.Split('/').Select(s => s.StartsWith('{') ? "0" : s));
            using var anonymous = new HttpRequestMessage(new HttpMethod(method), path);
            Assert.Equal(HttpStatusCode.Unauthorized, (await _herald.Anonymous.SendAsync(anonymous, Ct)).StatusCode);
            using var revoked = new HttpRequestMessage(new HttpMethod(method), path);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(revoked, Ct)).StatusCode);
        }
        client.Dispose();
    }

    [Fact]
    public async Task SendKey_ReadsBack_OnlyTheMessagesItSubmitted()
    {
        await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub",
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }, Ct), HttpStatusCode.Created);
        var sender = _keys[ApiScopes.Send];
        var (_, other) = await CreateKeyAsync("other-sender", ApiScopes.Send);

        var mine = (await HeraldInstance.ReadObjectAsync(await sender.Client.PostAsJsonAsync("/api/v1/messages",
            new { to = "+919812345601", body = "Your OTP is 1234", type = "otp" }, Ct), HttpStatusCode.Accepted))["id"]!.GetValue<string>();
        var batch = await HeraldInstance.ReadObjectAsync(await sender.Client.PostAsJsonAsync("/api/v1/messages/batch",
            new { messages = new[] { new { to = "+919812345602", body = "Order shipped" } } }, Ct), HttpStatusCode.Accepted);
        var fromBatch = batch["accepted"]![0]!["id"]!.GetValue<string>();
        var theirs = (await HeraldInstance.ReadObjectAsync(await other.PostAsJsonAsync("/api/v1/messages",
            new { to = "+919812345603", body = "Not yours" }, Ct), HttpStatusCode.Accepted))["id"]!.GetValue<string>();
        var admins = (await HeraldInstance.ReadObjectAsync(await _herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to = "+919812345604", body = "From the admin" }, Ct), HttpStatusCode.Accepted))["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, (await sender.Client.GetAsync($"/api/v1/messages/{mine}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await sender.Client.GetAsync($"/api/v1/messages/{theirs}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await sender.Client.GetAsync($"/api/v1/messages/{admins}", Ct)).StatusCode);
        var listed = (await HeraldInstance.ReadObjectAsync(await sender.Client.GetAsync("/api/v1/messages?limit=500", Ct), HttpStatusCode.OK))["items"]!.AsArray()
            .Select(m => m!["id"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(new HashSet<string> { mine, fromBatch }, listed);

        // Read and admin keys see every message.
        var all = (await HeraldInstance.ReadObjectAsync(await _keys[ApiScopes.Read].Client.GetAsync("/api/v1/messages?limit=500", Ct), HttpStatusCode.OK))["items"]!.AsArray()
            .Select(m => m!["id"]!.GetValue<string>()).ToHashSet();
        Assert.Superset(new HashSet<string> { mine, theirs, admins }, all);
        Assert.Equal(HttpStatusCode.OK, (await _keys[ApiScopes.Read].Client.GetAsync($"/api/v1/messages/{theirs}", Ct)).StatusCode);
        other.Dispose();
    }

    [Fact]
    public async Task ReadKey_CannotChangeAnything_AndItsRefusalSaysWhy()
    {
        var response = await _keys[ApiScopes.Read].Client.PostAsJsonAsync("/api/v1/keys", new { name = "escalate", scope = "admin" }, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.Contains("scope 'read'", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("'admin'", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var keys = await _herald.Services.GetRequiredService<IApiKeyStore>().ListAsync(Ct);
        Assert.DoesNotContain(keys, k => k.Name == "escalate");
    }

    [Fact]
    public async Task CreateKey_UnknownScope_400NamingTheScopes()
    {
        var response = await _herald.Api.PostAsJsonAsync("/api/v1/keys", new { name = "x", scope = "superuser" }, Ct);

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("admin", problem["errors"]!["scope"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("send", problem["errors"]!["scope"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upgrade_KeysMadeBeforeScopes_BecomeAdminKeys()
    {
        var dataDir = Directory.CreateTempSubdirectory("herald-scope-upgrade-").FullName;
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        File.Copy(Path.Combine(fixtures, "herald-previous-release.db"), Path.Combine(dataDir, "herald.db"));
        var keysDir = Directory.CreateDirectory(Path.Combine(dataDir, "keys"));
        foreach (var file in Directory.GetFiles(Path.Combine(fixtures, "herald-previous-release.keys")))
        {
            File.Copy(file, Path.Combine(keysDir.FullName, Path.GetFileName(file)));
        }
        await using var upgraded = await HeraldInstance.StartAsync(dataDir: dataDir);

        var keys = await upgraded.Services.GetRequiredService<IApiKeyStore>().ListAsync(Ct);
        Assert.Contains(keys, k => k.Prefix == "hk_upgra");
        Assert.All(keys, k => Assert.Equal(ApiScopes.Admin, k.Scope));
        // The old key still does what it did: admin calls.
        using var old = TestHttp.Create(upgraded.BaseUrl, "hk_upgrade_fixture_0123456789abcdef");
        Assert.Equal(HttpStatusCode.OK, (await old.GetAsync("/api/v1/keys", Ct)).StatusCode);
        var created = await old.PostAsJsonAsync("/api/v1/keys", new { name = "made-by-the-old-key", scope = "read" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }
}
