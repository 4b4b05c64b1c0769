using System.Net;
using Herald.Hosting;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Herald.Tests;

/// <summary>/openapi/v1.json from the real executable: a valid OpenAPI 3 document that describes every mapped /api/v1 route.</summary>
public sealed class OpenApiTests
{
    [Fact]
    public async Task OpenApiDocument_FromTheBinary_IsValidAndDescribesEveryApiRoute()
    {
        var ct = TestContext.Current.CancellationToken;
        var baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        string json;
        await using (var herald = HeraldProcess.Start(["serve", "--urls", baseUrl.ToString(), "--data-dir", Directory.CreateTempSubdirectory("herald-openapi-").FullName]))
        {
            await herald.WaitForOutputAsync("Herald is running");
            using var anonymous = TestHttp.Create(baseUrl); // the document is public, like the API's shape in the README
            var response = await anonymous.GetAsync("/openapi/v1.json", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            json = await response.Content.ReadAsStringAsync(ct);
        }

        var read = OpenApiDocument.Parse(json, OpenApiConstants.Json, new OpenApiReaderSettings());
        Assert.True(read.Diagnostic is not null && read.Diagnostic.Errors.Count == 0,
            "The document does not read as OpenAPI: " + string.Join("; ", read.Diagnostic?.Errors.Select(e => $"{e.Pointer}: {e.Message}") ?? []));
        var document = read.Document!;
        Assert.StartsWith("3.", System.Text.Json.Nodes.JsonNode.Parse(json)!["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
        var bearer = Assert.IsType<OpenApiSecurityScheme>(document.Components!.SecuritySchemes!["Bearer"]);
        Assert.Equal(SecuritySchemeType.Http, bearer.Type);
        Assert.Equal("bearer", bearer.Scheme);

        // The routes the application maps (its endpoint data sources, not a list written here), each with its methods.
        var routes = await MappedApiRoutesAsync();
        Assert.True(routes.Count >= 15, $"Only {routes.Count} /api/v1 routes were found: the endpoint data sources were not read.");
        var missing = new List<string>();
        foreach (var (path, methods) in routes)
        {
            if (!document.Paths.TryGetValue(path, out var item))
            {
                missing.Add($"{string.Join("|", methods)} {path}");
                continue;
            }
            foreach (var method in methods)
            {
                if (item.Operations?.TryGetValue(new HttpMethod(method), out var operation) != true)
                {
                    missing.Add($"{method} {path}");
                    continue;
                }
                // Every API call needs the key, and says so.
                Assert.True(operation!.Security?.Any(r => r.Keys.Any(k => k.Reference.Id == "Bearer")) == true, $"{method} {path} has no Bearer requirement.");
                Assert.True(operation.Responses?.Keys.Any(k => k.StartsWith('2')) == true, $"{method} {path} documents no success answer.");
            }
        }
        Assert.True(missing.Count == 0, "Mapped but not in /openapi/v1.json: " + string.Join(", ", missing));
        TestContext.Current.SendDiagnosticMessage($"{routes.Count} /api/v1 routes, {routes.Sum(r => r.Value.Count)} operations: all in the document.");

        // Request and answer schemas, and problem details for the errors.
        var send = document.Paths["/api/v1/messages"].Operations![HttpMethod.Post];
        Assert.NotNull(send.RequestBody?.Content?["application/json"].Schema);
        Assert.True(send.Responses!["202"].Content!.ContainsKey("application/json"));
        Assert.True(send.Responses["400"].Content!.ContainsKey("application/problem+json"));
        var get = document.Paths["/api/v1/messages/{id}"].Operations![HttpMethod.Get];
        Assert.True(get.Responses!["404"].Content!.ContainsKey("application/problem+json"));
        Assert.Contains("MessageView", json, StringComparison.Ordinal);
        Assert.Contains("ProblemDetails", json, StringComparison.Ordinal);
    }

    private static async Task<SortedDictionary<string, SortedSet<string>>> MappedApiRoutesAsync()
    {
        await using var app = HeraldServer.Build(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Herald:DataDir"] = Directory.CreateTempSubdirectory("herald-openapi-routes-").FullName,
        }, logging => logging.SetMinimumLevel(LogLevel.Warning));
        var routes = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var endpoint in ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>())
        {
            var path = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            if (!path.StartsWith("/api/v1/", StringComparison.Ordinal))
            {
                continue;
            }
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [];
            if (!routes.TryGetValue(path, out var set))
            {
                routes[path] = set = new SortedSet<string>(StringComparer.Ordinal);
            }
            set.UnionWith(methods);
        }
        return routes;
    }
}
