using Herald.Api.Audit;
using Herald.Security;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Keys;

/// <summary>The body of POST /api/v1/keys: a name and a scope (admin, send or read; admin when left out).</summary>
public sealed record KeyInput(string? Name, string? Scope = null);

/// <summary>An API key as listed: never the key or its hash.</summary>
public sealed record KeyView(string Id, string Name, string Prefix, string Scope, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A key just created: the only time the key itself is shown.</summary>
public sealed record CreatedKey(string Id, string Name, string Prefix, string Scope, string Key, DateTimeOffset CreatedAt) : IAudited
{
    string IAudited.AuditSummary => $"key '{Name}' ({Prefix}…), scope {Scope}";
}

/// <summary>/api/v1/keys: create, list and revoke API keys, each with a scope (admin, send, read).</summary>
internal static class KeyEndpoints
{
    public static RouteGroupBuilder MapKeys(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/keys").WithTags("API keys");
        group.MapGet("/", async Task<Ok<ItemList<KeyView>>> (IApiKeyStore keys, CancellationToken ct) =>
            TypedResults.Ok(new ItemList<KeyView>([.. (await keys.ListAsync(ct)).Select(View)])))
            .RequireScope(ApiAccess.Read)
            .WithSummary("List API keys (never the keys themselves)");
        group.MapPost("/", async Task<Results<Created<CreatedKey>, ValidationProblem>> (KeyInput input, ApiKeyIssuer issuer, CancellationToken ct) =>
        {
            if (ApiKeyIssuer.Check(input.Name, input.Scope) is { } error)
            {
                return Problems.BadRequest(error.Field, error.Message);
            }
            var (record, key) = await issuer.CreateAsync(input.Name!, input.Scope, ct);
            return TypedResults.Created($"/api/v1/keys/{record.Id}", new CreatedKey(record.Id, record.Name, record.Prefix, record.Scope, key, record.CreatedAt));
        }).RequireScope(ApiAccess.Admin, "key.create")
            .WithSummary("Create an API key")
            .WithDescription("scope is admin (everything), send (submit messages and read the ones it submitted) or read (read everything, change nothing); admin when left out. The answer is the only time the key itself is shown.");
        // Revoking the key making the call is allowed: the next call with it is a 401. Revoking twice is not an error.
        group.MapDelete("/{id}", async Task<Results<NoContent, NotFoundProblem, ConflictProblem>> (string id, IApiKeyStore keys, ApiKeyBootstrap bootstrap, TimeProvider time, CancellationToken ct) =>
        {
            var key = (await keys.ListAsync(ct)).FirstOrDefault(k => k.Id == id);
            if (key is null)
            {
                return Problems.NotFound($"No API key has the id '{id}': GET /api/v1/keys (herald keys list) shows them.");
            }
            if (key.RevokedAt is null && bootstrap.IsConfigured(key))
            {
                // Herald makes sure HERALD_API_KEY works at every start, so revoking it here would not last.
                return Problems.Conflict("This key is configured", ApiKeyBootstrap.ConfiguredKeyRefusal);
            }
            await keys.RevokeAsync(id, time.GetUtcNow(), ct);
            return TypedResults.NoContent();
        }).RequireScope(ApiAccess.Admin, "key.revoke").WithSummary("Revoke an API key");
        return api;
    }

    private static KeyView View(ApiKeyRecord key) => new(key.Id, key.Name, key.Prefix, key.Scope, key.CreatedAt, key.RevokedAt);
}
