using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Herald.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Herald.Security;

/// <summary>
/// API keys, looked up by SHA-256 hash: <c>Authorization: Bearer hk_...</c>; or, as Segment's libraries send their write key,
/// <c>Authorization: Basic base64(key + ":")</c>; or, on the Segment-style event calls only, the body's <c>writeKey</c>.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IApiKeyStore keys,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Api.Events.EventEndpoints.IsEventCall(Request) && await BodyWriteKeyAsync() is { } writeKey
                ? await AuthenticateKeyAsync(writeKey)
                : AuthenticateResult.NoResult();
        }
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return BasicKey(header["Basic ".Length..].Trim()) is { } basicKey
                ? await AuthenticateKeyAsync(basicKey)
                : AuthenticateResult.Fail("The Basic credentials must be base64(api key + \":\"): the API key as the user name (Segment's write key), with an empty password.");
        }
        if (header.Trim().Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            // Typically `-H "Authorization: Bearer $HERALD_API_KEY"` with the variable unset.
            return AuthenticateResult.Fail("The API key after 'Bearer' is empty: is HERALD_API_KEY set? herald serve saved the admin key in {data dir}/api-key (it prints the path at every start).");
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <api key>'.");
        }
        return await AuthenticateKeyAsync(header["Bearer ".Length..].Trim());
    }

    private async Task<AuthenticateResult> AuthenticateKeyAsync(string key)
    {
        var record = await keys.FindActiveByHashAsync(ApiKeyHash.Of(key), Context.RequestAborted);
        if (record is null)
        {
            return AuthenticateResult.Fail("The API key is unknown or revoked.");
        }
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, record.Id), new Claim(ClaimTypes.Name, record.Name), new Claim(ApiScopes.ClaimType, record.Scope)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    // A key whose scope does not cover the route: say which scope it has and which the route needs.
    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        var scope = Context.User.FindFirstValue(ApiScopes.ClaimType) ?? "none";
        var declared = Context.GetEndpoint()?.Metadata.GetMetadata<ApiAccessMetadata>();
        var detail = declared is null
            ? "This route declares no API scope, so no key may call it (a bug in Herald: please report it)."
            : $"This API key has the scope '{scope}'; {Request.Method} {Request.Path} needs {string.Join(" or ", declared.Scopes.Select(s => $"'{s}'"))}. "
              + "Use a key with that scope (herald keys create --scope ...).";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = StatusCodes.Status403Forbidden, Title = "Forbidden", Detail = detail },
        });
    }

    /// <summary>The key of <c>Basic base64(user:password)</c>: the user name (Segment's write key), else the password.</summary>
    private static string? BasicKey(string encoded)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var (user, password) = colon < 0 ? (text, "") : (text[..colon], text[(colon + 1)..]);
            return user.Length > 0 ? user : password.Length > 0 ? password : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The top-level <c>writeKey</c> of a JSON body (Segment's libraries also put the key there); the body stays readable for the endpoint.</summary>
    private async Task<string?> BodyWriteKeyAsync()
    {
        if (Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return null;
        }
        Request.EnableBuffering();
        try
        {
            using var document = await System.Text.Json.JsonDocument.ParseAsync(Request.Body, cancellationToken: Context.RequestAborted);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("writeKey", out var key) && key.ValueKind == System.Text.Json.JsonValueKind.String
                ? key.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // the endpoint answers the bad body, once the caller has a key
        }
        finally
        {
            Request.Body.Position = 0;
        }
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = failure ?? (Api.Events.EventEndpoints.IsEventCall(Request)
                    ? "Send an API key as the write key: 'Authorization: Basic base64(key + \":\")' (as Segment's libraries do), the body's writeKey, or 'Authorization: Bearer <api key>'."
                    : null) ?? "Send 'Authorization: Bearer <api key>'. The first start printed the admin key and saved it in the data folder (api-key), or set HERALD_API_KEY.",
            },
        });
    }
}

/// <summary>How API keys are stored: SHA-256, hex. Keys are random and long, so a slow hash adds nothing.</summary>
internal static class ApiKeyHash
{
    public static string Of(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
