using System.Security.Claims;
using Herald.Api.Audit;
using Microsoft.AspNetCore.Authorization;

namespace Herald.Security;

/// <summary>
/// The scopes an API key carries. <c>admin</c> may do everything; <c>read</c> reads everything and changes nothing;
/// <c>send</c> submits messages and reads only the messages it submitted.
/// </summary>
public static class ApiScopes
{
    /// <summary>Everything, including keys, providers and settings.</summary>
    public const string Admin = "admin";

    /// <summary>Submit messages (single and batch) and read the messages this key submitted.</summary>
    public const string Send = "send";

    /// <summary>Read everything, change nothing.</summary>
    public const string Read = "read";

    /// <summary>Every scope, in the order they are documented.</summary>
    public static IReadOnlyList<string> All { get; } = [Admin, Send, Read];

    /// <summary>The claim that carries a key's scope.</summary>
    public const string ClaimType = "herald:scope";

    /// <summary>The canonical scope for <paramref name="value"/> (case-insensitive), or null when it is not one.</summary>
    public static string? Parse(string? value) =>
        All.FirstOrDefault(s => string.Equals(s, value?.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>What a /api/v1 route lets a key do: every route declares one (<see cref="ApiAccessExtensions.RequireScope"/>).</summary>
public enum ApiAccess
{
    /// <summary>Changes configuration or state: admin keys only.</summary>
    Admin,

    /// <summary>Reads: admin and read keys.</summary>
    Read,

    /// <summary>Submits messages: admin and send keys.</summary>
    Send,

    /// <summary>Reads messages: admin and read keys see all, a send key only the messages it submitted (the handler filters).</summary>
    OwnResults,
}

/// <summary>The scope a route declared, as endpoint metadata (read by the authorization handler, the 403 answer and the route test).</summary>
public sealed record ApiAccessMetadata(ApiAccess Access)
{
    /// <summary>The scopes that may call the route.</summary>
    public IReadOnlyList<string> Scopes => Access switch
    {
        ApiAccess.Admin => [ApiScopes.Admin],
        ApiAccess.Read => [ApiScopes.Admin, ApiScopes.Read],
        ApiAccess.Send => [ApiScopes.Admin, ApiScopes.Send],
        ApiAccess.OwnResults => [ApiScopes.Admin, ApiScopes.Read, ApiScopes.Send],
        _ => [],
    };

    /// <summary>The authorization policy of the access level.</summary>
    public string Policy => ApiPolicies.For(Access);
}

/// <summary>The authorization policies of the API: one per access level, plus the fail-closed policy of the /api/v1 group.</summary>
internal static class ApiPolicies
{
    /// <summary>On the /api/v1 group: an authenticated API key, and a route that declared its scope (a route that did not is refused).</summary>
    public const string Declared = "api:declared";

    public static string For(ApiAccess access) => "api:" + access.ToString().ToLowerInvariant();

    public static IServiceCollection AddApiPolicies(this IServiceCollection services)
    {
        var builder = services.AddAuthorizationBuilder().AddPolicy(Declared, policy => policy
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .AddRequirements(new DeclaredScopeRequirement()));
        foreach (var access in Enum.GetValues<ApiAccess>())
        {
            var scopes = new ApiAccessMetadata(access).Scopes;
            builder.AddPolicy(For(access), policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireClaim(ApiScopes.ClaimType, scopes));
        }
        services.AddSingleton<IAuthorizationHandler, DeclaredScopeHandler>();
        return services;
    }

    /// <summary>A route under /api/v1 without <see cref="ApiAccessMetadata"/> is refused for every key: forgetting a scope fails closed.</summary>
    private sealed class DeclaredScopeRequirement : IAuthorizationRequirement;

    private sealed class DeclaredScopeHandler : AuthorizationHandler<DeclaredScopeRequirement>
    {
        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, DeclaredScopeRequirement requirement)
        {
            var endpoint = context.Resource switch
            {
                HttpContext http => http.GetEndpoint(),
                Endpoint e => e,
                _ => null,
            };
            if (endpoint?.Metadata.GetMetadata<ApiAccessMetadata>() is not null)
            {
                context.Succeed(requirement);
            }
            return Task.CompletedTask;
        }
    }
}

/// <summary>Declaring a route's scope.</summary>
public static class ApiAccessExtensions
{
    /// <summary>
    /// Declares who may call the route(s): the policy of <paramref name="access"/> plus its metadata. A route that changes
    /// something names its <paramref name="audit"/> action (e.g. <c>provider.update</c>): each successful call is then written
    /// to the audit log.
    /// </summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ApiAccess access, string? audit = null) where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization(ApiPolicies.For(access)).WithMetadata(new ApiAccessMetadata(access));
        if (audit is not null)
        {
            builder.WithMetadata(new AuditActionMetadata(audit)).AddEndpointFilter<TBuilder, AuditFilter>();
        }
        return builder;
    }
}

/// <summary>Who is calling the API, as its key's claims say.</summary>
public sealed record ApiCaller(string KeyId, string Scope)
{
    /// <summary>The caller of <paramref name="user"/>, or null when it is not an API key.</summary>
    public static ApiCaller? From(ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true, AuthenticationType: ApiKeyAuthenticationHandler.SchemeName }
        && user.FindFirstValue(ClaimTypes.NameIdentifier) is { } id
            ? new ApiCaller(id, user.FindFirstValue(ApiScopes.ClaimType) ?? ApiScopes.Admin)
            : null;

    /// <summary>For reads of messages: the key whose messages are the only ones visible, or null when every message is.</summary>
    public string? OwnMessagesOnly => Scope == ApiScopes.Send ? KeyId : null;
}
