using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Herald.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Herald.Security;

/// <summary>Bearer API keys: <c>Authorization: Bearer hk_...</c>, looked up by SHA-256 hash.</summary>
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
            return AuthenticateResult.NoResult();
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
        var key = header["Bearer ".Length..].Trim();
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
                Detail = failure ?? "Send 'Authorization: Bearer <api key>'. The first start printed the admin key and saved it in the data folder (api-key), or set HERALD_API_KEY.",
            },
        });
    }
}

/// <summary>How API keys are stored: SHA-256, hex. Keys are random and long, so a slow hash adds nothing.</summary>
internal static class ApiKeyHash
{
    public static string Of(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
