using Herald.Core.Messaging;
using Herald.Storage.Records;
using Herald.Storage.Tests.Infrastructure;
using Npgsql;

namespace Herald.Storage.Tests.Cluster;

/// <summary>PostgreSQL claims pass rows another node holds (FOR UPDATE SKIP LOCKED) instead of waiting for them or taking them.</summary>
public sealed class PostgresClaimTests(PostgresStorageFixture fixture) : IClassFixture<PostgresStorageFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClaimAsync_RowsLockedByAnotherNode_SkipsThemWithoutWaiting()
    {
        var now = fixture.Time.GetUtcNow();
        var messages = Enumerable.Range(0, 10).Select(i => (Message(now, i), new DispatchInfo(1, now, null, "gsm7", 1))).ToList();
        await fixture.Db.Queue.EnqueueAsync(messages, null, Ct);
        var held = messages.Take(4).Select(m => m.Item1.Id).ToArray();

        // Another node's claim, caught between locking its rows and committing.
        await using var other = new NpgsqlConnection(fixture.ConnectionString);
        await other.OpenAsync(Ct);
        await using var transaction = await other.BeginTransactionAsync(Ct);
        await using (var lockRows = new NpgsqlCommand("SELECT id FROM messages WHERE id = ANY(@ids) FOR UPDATE", other, transaction))
        {
            lockRows.Parameters.AddWithValue("ids", held);
            await lockRows.ExecuteNonQueryAsync(Ct);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        var claimed = await fixture.Db.Queue.ClaimAsync(100, "node-b/1", TimeSpan.FromMinutes(1), timeout.Token);

        Assert.Equal(messages.Skip(4).Select(m => m.Item1.Id).Order(), claimed.Select(c => c.Message.Id).Order());
        await transaction.RollbackAsync(Ct);
        Assert.Equal(held.Order(), (await fixture.Db.Queue.ClaimAsync(100, "node-b/1", TimeSpan.FromMinutes(1), Ct)).Select(c => c.Message.Id).Order());
    }

    private static MessageRecord Message(DateTimeOffset now, int i) => new()
    {
        Id = Guid.CreateVersion7(now.AddMilliseconds(i)).ToString("N"), ProviderId = "prv", ProviderNickname = "stub", To = "+919812345678",
        Body = $"hello {i}", Type = "txn", Source = "api", Status = DeliveryState.Queued, CreatedAt = now, UpdatedAt = now,
    };
}
