using System.Diagnostics;
using Herald.Storage.Cluster;
using Herald.Storage.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Herald.Storage.Tests.Cluster;

/// <summary>
/// Leadership over a real PostgreSQL advisory lock (the server named by <c>HERALD_TEST_POSTGRES</c>; like the other
/// PostgreSQL tests these fail, never skip, without it). Each test uses its own database.
/// </summary>
public sealed class PostgresLeaderElectionTests(PostgresStorageFixture fixture) : IClassFixture<PostgresStorageFixture>, IAsyncDisposable
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(300);
    private readonly List<PostgresLeaderElection> _elections = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartAsync_TwoNodesOnOneDatabase_ExactlyOneLeadsAndBothNameIt()
    {
        var database = await fixture.NewDatabaseAsync(Ct);
        var a = await StartAsync(database, "node-a");
        var b = await StartAsync(database, "node-b");

        await Task.Delay(Retry * 3, Ct); // several beats: the follower keeps trying and keeps failing
        Assert.True(a.IsLeader);
        Assert.NotNull(a.LeaderSince);
        Assert.False(b.IsLeader);
        Assert.Null(b.LeaderSince);
        Assert.Equal("node-a", await a.LeaderNodeAsync(Ct));
        Assert.Equal("node-a", await b.LeaderNodeAsync(Ct));
        Assert.False(await b.RunIfLeaderAsync(_ => throw new InvalidOperationException("a follower ran a leader job"), Ct));
        Assert.True(await a.RunIfLeaderAsync(_ => Task.CompletedTask, Ct));
    }

    [Fact]
    public async Task StopAsync_Leader_TheOtherTakesOverWithinTheRetryInterval()
    {
        var database = await fixture.NewDatabaseAsync(Ct);
        var a = await StartAsync(database, "node-a");
        var b = await StartAsync(database, "node-b");
        Assert.True(a.IsLeader);

        await a.DisposeAsync();
        var took = await WaitForAsync(() => b.IsLeader);

        Assert.False(a.IsLeader);
        Assert.True(took < Retry * 2 + TimeSpan.FromSeconds(1), $"node-b took {took.TotalMilliseconds:F0} ms to take over (retry interval {Retry.TotalMilliseconds} ms)");
        Assert.Equal("node-b", await b.LeaderNodeAsync(Ct));
    }

    [Fact]
    public async Task LeaderSessionKilled_LeaderStepsDown_AndOneNodeLeadsAgain()
    {
        var database = await fixture.NewDatabaseAsync(Ct);
        var a = await StartAsync(database, "node-a");
        var b = await StartAsync(database, "node-b");
        Assert.True(a.IsLeader);

        await TerminateSessionsAsync(database, "herald:node-a");
        await WaitForAsync(() => !a.IsLeader || b.IsLeader);
        await WaitForAsync(() => a.IsLeader ^ b.IsLeader);
        await Task.Delay(Retry * 3, Ct);

        Assert.True(a.IsLeader ^ b.IsLeader, $"a leads: {a.IsLeader}, b leads: {b.IsLeader}");
        var leader = a.IsLeader ? "node-a" : "node-b";
        Assert.Equal(leader, await b.LeaderNodeAsync(Ct));
    }

    [Fact]
    public async Task StartAsync_TwoDatabasesOnOneServer_EachHasItsOwnLeader()
    {
        var a = await StartAsync(await fixture.NewDatabaseAsync(Ct), "node-a");
        var b = await StartAsync(await fixture.NewDatabaseAsync(Ct), "node-b");

        Assert.True(a.IsLeader);
        Assert.True(b.IsLeader);
    }

    [Fact]
    public async Task StartAsync_DatabaseUnreachable_NotLeaderAndNoThrow()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Port = 1, Timeout = 2 }.ToString();
        var election = await StartAsync(unreachable, "node-x");

        Assert.False(election.IsLeader);
        Assert.Null(election.LeaderSince);
    }

    private async Task<PostgresLeaderElection> StartAsync(string connectionString, string nodeId)
    {
        var election = new PostgresLeaderElection(connectionString, new ClusterOptions { NodeId = nodeId, LeaderRetryInterval = Retry },
            TimeProvider.System, NullLogger.Instance);
        _elections.Add(election);
        await election.StartAsync(Ct);
        return election;
    }

    private static async Task<TimeSpan> WaitForAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), "the condition did not hold within 15 s");
            await Task.Delay(20, Ct);
        }
        return watch.Elapsed;
    }

    private static async Task TerminateSessionsAsync(string connectionString, string applicationName)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = @name AND datname = current_database()", connection);
        command.Parameters.AddWithValue("name", applicationName);
        Assert.Equal(1L, await command.ExecuteScalarAsync(Ct));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var election in _elections)
        {
            await election.DisposeAsync();
        }
    }
}
