using Dapper;
using Herald.Core.Messaging;
using Herald.Storage.Records;
using Herald.Storage.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Storage.Tests;

/// <summary>
/// What every database behind Herald's stores must do. Each concrete subclass runs the whole suite against
/// one real database (<see cref="SqliteStorageTests"/>, <see cref="PostgresStorageTests"/>).
/// </summary>
public abstract partial class StorageComplianceTests(StorageFixture fixture)
{
    protected StorageFixture Fixture { get; } = fixture;
    protected HeraldDatabase Db => Fixture.Db;
    protected FakeTimeProvider Time => Fixture.Time;
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    // ---------------------------------------------------------------- schema and health

    [Fact]
    public async Task MigrateAsync_RunTwice_IsIdempotentAndKeepsData()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        var database = Fixture.Open(connectionString);
        await database.Database.MigrateAsync(Ct);
        var provider = NewProvider("keep-me");
        await database.Providers.InsertAsync(provider, Ct);

        await database.Database.MigrateAsync(Ct);
        await using (var reopened = Fixture.Open(connectionString))
        {
            await reopened.Database.MigrateAsync(Ct);
        }

        Assert.Equal(provider, await database.Providers.FindAsync(provider.Id, Ct));
        Assert.Equal(Sql.Migrations.All.Select(m => m.Version), await AppliedVersionsAsync(connectionString));
    }

    [Fact]
    public async Task MigrateAsync_TwoInstancesAtOnce_AppliesEachVersionOnce()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        var first = Fixture.Open(connectionString);
        var second = Fixture.Open(connectionString);

        await Task.WhenAll(first.Database.MigrateAsync(Ct), second.Database.MigrateAsync(Ct));

        Assert.Equal(Sql.Migrations.All.Select(m => m.Version), await AppliedVersionsAsync(connectionString));
        await first.Providers.InsertAsync(NewProvider("after-race"), Ct);
    }

    [Fact]
    public async Task PingAsync_MigratedDatabase_ReturnsTrue()
    {
        Assert.True(await Db.Database.PingAsync(Ct));
        Assert.Equal(Fixture.Provider, Db.Database.Provider);
        Assert.StartsWith(Fixture.Provider, Db.Database.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Description_AnyConnectionString_HasNoPassword()
    {
        Assert.DoesNotContain("password", Db.Database.Description, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(";", Db.Database.Description, StringComparison.Ordinal);
    }

    private async Task<List<int>> AppliedVersionsAsync(string connectionString)
    {
        await using var connection = Fixture.RawConnection(connectionString);
        await connection.OpenAsync(Ct);
        var versions = await connection.QueryAsync<int>(new CommandDefinition(
            "SELECT version FROM schema_migrations ORDER BY version", cancellationToken: Ct));
        return versions.ToList();
    }

    // ---------------------------------------------------------------- helpers

    /// <summary>A short unique suffix, so tests sharing the class's database never see each other's rows.</summary>
    protected static string Unique() => Guid.NewGuid().ToString("N")[..12];

    protected ProviderRecord NewProvider(string nickname, string? id = null) => new()
    {
        Id = id ?? $"prv_{Unique()}",
        Nickname = $"{nickname}-{Unique()}",
        Kind = "generic",
        Settings = """{"endpoint":"https://sms.example.com/send","bodyType":"form"}""",
        CallbackToken = $"tok_{Unique()}",
        CreatedAt = Time.GetUtcNow(),
        UpdatedAt = Time.GetUtcNow(),
    };

    /// <summary>A message with a time-ordered id (UUIDv7 at the fake clock, which moves 1 ms per message).</summary>
    protected MessageRecord NewMessage(Func<MessageRecord, MessageRecord>? configure = null)
    {
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var now = Time.GetUtcNow();
        var message = new MessageRecord
        {
            Id = Guid.CreateVersion7(now).ToString("N"),
            ProviderId = "prv_default",
            ProviderNickname = "default",
            To = "+919812345678",
            Body = "Your OTP is 123456",
            Type = "otp",
            Source = "api",
            Status = DeliveryState.Queued,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return configure is null ? message : configure(message);
    }

    protected MessageEventRecord QueuedEvent(MessageRecord message) => new()
    {
        MessageId = message.Id,
        At = message.CreatedAt,
        Source = "api",
        Event = "queued",
        State = DeliveryState.Queued,
        Applied = true,
        Detail = """{"via":"test"}""",
    };

    protected async Task<MessageRecord> InsertMessageAsync(Func<MessageRecord, MessageRecord>? configure = null)
    {
        var message = NewMessage(configure);
        await Db.Messages.InsertAsync(message, QueuedEvent(message), Ct);
        return message;
    }

    protected static StateChange Change(DeliveryState? proposed, string source = "dlr", string? @event = null) => new()
    {
        Proposed = proposed,
        Source = source,
        Event = @event ?? proposed?.ToWire() ?? "note",
    };
}
