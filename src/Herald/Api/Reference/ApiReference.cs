using System.Text.Json.Nodes;
using Herald.Api.Messages;
using Herald.Api.Providers;
using Herald.Api.TestSms;
using Herald.Dashboard;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Herald.Api.Reference;

/// <summary>
/// The API's description: <c>/openapi/v1.json</c> (OpenAPI 3, generated from the typed endpoints; public, like the API's
/// shape in the README) and the reference page <c>/api-reference</c> (Scalar, its assets served by Herald; behind the
/// dashboard sign-in).
/// </summary>
internal static class ApiReference
{
    /// <summary>The document's name: <c>/openapi/v1.json</c>.</summary>
    public const string DocumentName = "v1";

    /// <summary>Where the reference page is.</summary>
    public const string PagePath = "/api-reference";

    /// <summary>The name of the security scheme in the document.</summary>
    public const string BearerScheme = "Bearer";

    public static IServiceCollection AddHeraldApiReference(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options =>
        {
            // The document describes what scripts and providers call; the dashboard's pages and its own JSON are not an API.
            options.ShouldInclude = description => description.RelativePath is { } path && IsDescribed(path);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Herald API",
                    Version = "v1",
                    Description = "Self-hosted SMS delivery: providers, messages, delivery reports. Every /api/v1 call needs " +
                        "'Authorization: Bearer <api key>' (the first start prints the admin key and saves it in the data folder's api-key file). " +
                        "Errors are RFC 7807 problem details whose detail says what to fix.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key: 'Authorization: Bearer hk_...'. Create more with POST /api/v1/keys or herald keys create.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
                {
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
                    operation.Responses ??= new OpenApiResponses();
                    operation.Responses["401"] = new OpenApiResponse
                    {
                        Description = "No API key, or a wrong or revoked one: send 'Authorization: Bearer <api key>' (problem details).",
                    };
                }
                if (metadata.OfType<Security.ApiAccessMetadata>().FirstOrDefault() is { } access)
                {
                    var scopes = string.Join(" or ", access.Scopes);
                    operation.Description = $"{operation.Description}{(string.IsNullOrEmpty(operation.Description) ? "" : "\n\n")}API key scope: {scopes}."
                        + (access.Access == Security.ApiAccess.OwnResults ? " A send key sees only the messages it submitted." : "");
                    operation.Responses ??= new OpenApiResponses();
                    operation.Responses["403"] = new OpenApiResponse { Description = $"The key's scope is not {scopes} (problem details)." };
                }
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (Examples.TryGetValue(context.JsonTypeInfo.Type, out var example))
                {
                    schema.Examples = [JsonNode.Parse(example)!];
                }
                return Task.CompletedTask;
            });
        });

    public static WebApplication MapHeraldApiReference(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference(PagePath, (options, context) =>
        {
            options.WithTitle("Herald API reference")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .AddDocument(DocumentName, "Herald API")
                .AddPreferredSecuritySchemes([BearerScheme])
                .WithNonce()
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .HideDeveloperTools();
            options.Favicon = "/assets/favicon.svg";
            // The dashboard's policy allows no inline script: the page's own scripts carry Scalar's per-request nonce,
            // and its component injects styles. Everything still comes from Herald itself.
            context.Response.OnStarting(() =>
            {
                var nonce = context.Items[ScalarOptions.NonceHttpContextItemKey] as string;
                context.Response.Headers.ContentSecurityPolicy =
                    $"default-src 'self'; script-src 'self'{(nonce is null ? "" : $" 'nonce-{nonce}'")}; style-src 'self' 'unsafe-inline'; " +
                    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " +
                    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";
                return Task.CompletedTask;
            });
        }).RequireAuthorization(DashboardAuth.Policy);
        return app;
    }

    /// <summary>Whether a route belongs in the document: the API, the callback URLs, the connector and the probes.</summary>
    internal static bool IsDescribed(string relativePath) =>
        relativePath.StartsWith("api/", StringComparison.Ordinal) || relativePath.StartsWith("dlr/", StringComparison.Ordinal)
        || relativePath.StartsWith("connect/", StringComparison.Ordinal) || relativePath is "healthz" or "readyz";

    private static readonly Dictionary<Type, string> Examples = new()
    {
        [typeof(SendMessageRequest)] = """
            {"to": "+919812345678", "body": "Your OTP is 482913", "type": "otp", "sender": "KLRHXA", "provider": "Kaleyra_SMS", "validity": "PT10M"}
            """,
        [typeof(SendMessageResult)] = """
            {"id": "msg_01JXAMPLE0000000000000000", "status": "queued", "encoding": "gsm7", "segments": 1, "validUntil": "2026-01-31T10:10:00+00:00"}
            """,
        [typeof(TestSmsRequest)] = """
            {"countryCode": "+91", "mobile": "9812345678", "message": "This is a test message powered by Kaleyra", "dynamicFields": {"sender": "KLRHXA", "type": "OTP"}}
            """,
        [typeof(ProviderInput)] = """
            {"nickname": "Kaleyra_SMS", "kind": "generic", "settings": {"requestType": "POST", "endpoint": "https://api.kaleyra.io/v1/HXAP16XXXXXX/messages",
             "authentication": {"type": "none"}, "headers": [{"key": "api-key", "value": "A5c1xxxxxxxx"}], "bodyType": "form",
             "parameters": [{"key": "to", "value": "$$To"}, {"key": "body", "value": "$$Body"}, {"key": "sender", "value": "$$Sender"}]}}
            """,
    };
}
