using System.Data.Common;
using Dapper;
using Herald.Storage.Records;
using Herald.Storage.Sql;
using static Herald.Storage.Sql.SqlDatabase;

namespace Herald.Storage.Providers;

/// <summary>Provider configurations: the <c>providers</c> table.</summary>
internal sealed class SqlProviderStore(SqlDatabase database) : IProviderStore
{
    private const string ProviderColumns = """
        id AS Id, nickname AS Nickname, kind AS Kind, settings AS Settings, callback_token AS CallbackToken,
        created_at AS CreatedAt, updated_at AS UpdatedAt, rate_limit AS RateLimit, max_in_flight AS MaxInFlight, max_segments AS MaxSegments, shorten_links AS ShortenLinks,
        credentials_failed_at AS CredentialsFailedAt, credentials_error AS CredentialsError
        """;

    public async Task<ProviderRecord?> FindAsync(string idOrNickname, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<ProviderRow>(new CommandDefinition(
            $"SELECT {ProviderColumns} FROM providers WHERE id = @key OR nickname_key = @nicknameKey ORDER BY CASE WHEN id = @key THEN 0 ELSE 1 END",
            new { key = idOrNickname, nicknameKey = NameKey(idOrNickname) }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<ProviderRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ProviderRow>(new CommandDefinition(
            $"SELECT {ProviderColumns} FROM providers ORDER BY nickname_key", cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task InsertAsync(ProviderRecord provider, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            await Exec(connection, null, """
                INSERT INTO providers (id, nickname, nickname_key, kind, settings, callback_token, created_at, updated_at, rate_limit, max_in_flight, max_segments, shorten_links)
                VALUES (@Id, @Nickname, @NicknameKey, @Kind, @Settings, @CallbackToken, @CreatedAt, @UpdatedAt, @RateLimit, @MaxInFlight, @MaxSegments, @ShortenLinks)
                """, ProviderParameters(provider), cancellationToken);
        }
        catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
        {
            // The id is unique too: only blame the nickname when another provider really holds it.
            if (await NicknameHeldByAnotherAsync(connection, provider, cancellationToken))
            {
                throw new DuplicateNicknameException(provider.Nickname);
            }
            throw;
        }
    }

    private static async Task<bool> NicknameHeldByAnotherAsync(DbConnection connection, ProviderRecord provider, CancellationToken cancellationToken)
    {
        var holder = await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            "SELECT id FROM providers WHERE nickname_key = @nicknameKey", new { nicknameKey = NameKey(provider.Nickname) },
            cancellationToken: cancellationToken));
        return holder is not null && holder != provider.Id;
    }

    public async Task<bool> UpdateAsync(ProviderRecord provider, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            return await Exec(connection, null, """
                UPDATE providers SET nickname = @Nickname, nickname_key = @NicknameKey, kind = @Kind, settings = @Settings,
                    updated_at = @UpdatedAt, rate_limit = @RateLimit, max_in_flight = @MaxInFlight, max_segments = @MaxSegments, shorten_links = @ShortenLinks,
                    credentials_failed_at = NULL, credentials_error = NULL
                WHERE id = @Id
                """, ProviderParameters(provider), cancellationToken) == 1;
        }
        catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
        {
            throw new DuplicateNicknameException(provider.Nickname);
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await Exec(connection, null, "DELETE FROM providers WHERE id = @id", new { id }, cancellationToken) == 1;
    }

    public async Task SetCredentialsStatusAsync(string providerId, DateTimeOffset? failedAt, string? error, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await Exec(connection, null, "UPDATE providers SET credentials_failed_at = @at, credentials_error = @error WHERE id = @providerId",
            new { providerId, at = failedAt?.ToUnixTimeMilliseconds(), error }, cancellationToken);
    }

    private static object ProviderParameters(ProviderRecord p) => new
    {
        p.Id, p.Nickname, NicknameKey = NameKey(p.Nickname), p.Kind, p.Settings, p.CallbackToken,
        CreatedAt = p.CreatedAt.ToUnixTimeMilliseconds(), UpdatedAt = p.UpdatedAt.ToUnixTimeMilliseconds(), p.RateLimit, p.MaxInFlight, p.MaxSegments,
        ShortenLinks = p.ShortenLinks ? 1 : 0,
    };

    private sealed class ProviderRow
    {
        public string Id { get; set; } = "";
        public string Nickname { get; set; } = "";
        public string Kind { get; set; } = "";
        public string Settings { get; set; } = "";
        public string CallbackToken { get; set; } = "";
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public long RateLimit { get; set; }
        public long MaxInFlight { get; set; }
        public long MaxSegments { get; set; }
        public long ShortenLinks { get; set; } = 1;
        public long? CredentialsFailedAt { get; set; }
        public string? CredentialsError { get; set; }

        public ProviderRecord ToRecord() => new()
        {
            Id = Id, Nickname = Nickname, Kind = Kind, Settings = Settings, CallbackToken = CallbackToken,
            CreatedAt = Time(CreatedAt), UpdatedAt = Time(UpdatedAt), RateLimit = (int)RateLimit, MaxInFlight = (int)MaxInFlight, MaxSegments = (int)MaxSegments, ShortenLinks = ShortenLinks != 0,
            CredentialsFailedAt = CredentialsFailedAt is { } failed ? Time(failed) : null, CredentialsError = CredentialsError,
        };
    }
}
