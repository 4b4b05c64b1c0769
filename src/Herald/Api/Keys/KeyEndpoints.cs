using Herald.Core;
using Herald.Hosting;
using Herald.Security;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Herald.Api.Keys;

/// <summary>The body of POST /api/v1/keys.</summary>
public sealed record KeyInput(string? Name);

/// <summary>An API key as listed: never the key or its hash.</summary>
public sealed record KeyView(string Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A key just created: the only time the key itself is shown.</summary>
public sealed record CreatedKey(string Id, string Name, string Prefix, string Key, DateTimeOffset CreatedAt);

/// <summary>/api/v1/keys: create, list and revoke API keys. Every key is an admin key today.</summary>
internal static class KeyEndpoints
{
    public const int MaxNameLength = 64;

    public static RouteGroupBuilder MapKeys(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/keys").WithTags("API keys");
        group.MapGet("/", async Task<Ok<ItemList<KeyView>>> (IApiKeyStore keys, CancellationToken ct) =>
            TypedResults.Ok(new ItemList<KeyView>([.. (await keys.ListAsync(ct)).Select(View)])))
            .WithSummary("List API keys (never the keys themselves)");
        group.MapPost("/", async Task<Results<Created<CreatedKey>, ValidationProblem>> (KeyInput input, IApiKeyStore keys, TimeProvider time, CancellationToken ct) =>
        {
            var name = input.Name?.Trim();
            if (string.IsNullOrEmpty(name))
            {
                return Problems.BadRequest("name", "name is required: say who or what uses the key, e.g. \"ci\".");
            }
            if (name.Length > MaxNameLength)
            {
                return Problems.BadRequest("name", $"name is at most {MaxNameLength} characters.");
            }
            var key = Ids.NewApiKey();
            var record = new ApiKeyRecord
            {
                Id = Ids.NewId("key"),
                Name = name,
                Prefix = key[..8],
                Hash = ApiKeyHash.Of(key),
                CreatedAt = time.GetUtcNow(),
            };
            await keys.InsertAsync(record, ct);
            return TypedResults.Created($"/api/v1/keys/{record.Id}", new CreatedKey(record.Id, record.Name, record.Prefix, key, record.CreatedAt));
        }).WithSummary("Create an API key").WithDescription("The answer is the only time the key itself is shown.");
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
        }).WithSummary("Revoke an API key");
        return api;
    }

    private static KeyView View(ApiKeyRecord key) => new(key.Id, key.Name, key.Prefix, key.CreatedAt, key.RevokedAt);
}
