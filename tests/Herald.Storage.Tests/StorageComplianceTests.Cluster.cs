using Herald.Storage.Records;

namespace Herald.Storage.Tests;

/// <summary>Several Herald nodes on one database: the dispatch queue hands each message to exactly one of them.</summary>
public abstract partial class StorageComplianceTests
{
    [Fact]
    public async Task ClaimAsync_SeveralNodesAtOnce_ClaimEachMessageOnce()
    {
        var connectionString = await Fixture.NewDatabaseAsync(Ct);
        var db = Fixture.Open(connectionString);
        await db.Database.MigrateAsync(Ct);
        var now = Time.GetUtcNow();
        var messages = Enumerable.Range(0, 300).Select(_ => (NewMessage(), new DispatchInfo(1, now, null, "gsm7", 1))).ToList();
        await db.Queue.EnqueueAsync(messages, null, Ct);
        // Separately opened databases on the same data: what several Herald nodes are.
        var nodes = Enumerable.Range(0, 4).Select(_ => Fixture.Open(connectionString)).ToList();

        var claims = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            var mine = new List<string>();
            while (true)
            {
                var claimed = await nodes[i % nodes.Count].Queue.ClaimAsync(25, $"node-{i % nodes.Count}/{i}", TimeSpan.FromMinutes(1), Ct);
                if (claimed.Count == 0)
                {
                    return mine;
                }
                mine.AddRange(claimed.Select(c => c.Message.Id));
            }
        }, Ct)));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(messages.Select(m => m.Item1.Id).Order(), all.Order());
        var events = await db.Messages.GetEventsAsync(all[0], Ct);
        var claim = Assert.Single(events, e => e.Event == "dispatching");
        Assert.Matches(@"^attempt 1 through default by node-\d/\d+$", claim.Note);
    }
}
