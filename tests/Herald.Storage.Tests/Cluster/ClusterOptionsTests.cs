using Herald.Storage.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Herald.Storage.Tests.Cluster;

/// <summary>Herald:Cluster options and the single-node (SQLite) election.</summary>
public sealed class ClusterOptionsTests
{
    [Theory]
    [InlineData("00:00:00.050", null, "LeaderRetryInterval")]
    [InlineData("00:10:00", null, "LeaderRetryInterval")]
    [InlineData("00:00:05", "a-node-id-that-is-far-too-long-for-application-name-x", "NodeId")]
    public void Validate_OutOfRange_NamesTheSetting(string interval, string? nodeId, string setting)
    {
        var options = Bind(new() { ["Herald:Cluster:LeaderRetryInterval"] = interval, ["Herald:Cluster:NodeId"] = nodeId });

        var failure = Assert.Throws<OptionsValidationException>(() => options.Value);
        Assert.Contains($"Herald:Cluster:{setting}", failure.Message);
    }

    [Fact]
    public void Defaults_FiveSecondsAndMachineAndProcess()
    {
        var options = Bind([]).Value;

        Assert.Equal(TimeSpan.FromSeconds(5), options.LeaderRetryInterval);
        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId}", options.EffectiveNodeId);
    }

    [Fact]
    public async Task Create_Sqlite_AlwaysLeadsAndRunsJobs()
    {
        var election = LeaderElection.Create(new DatabaseOptions { Provider = "sqlite", ConnectionString = "Data Source=x.db" },
            new ClusterOptions { NodeId = "solo" }, TimeProvider.System, NullLoggerFactory.Instance);
        await election.StartAsync(TestContext.Current.CancellationToken);
        var ran = false;

        Assert.True(await election.RunIfLeaderAsync(_ => Task.FromResult(ran = true), TestContext.Current.CancellationToken));
        Assert.True(ran);
        Assert.True(election.IsLeader);
        Assert.Equal("solo", await election.LeaderNodeAsync(TestContext.Current.CancellationToken));
        await election.DisposeAsync();
    }

    private static IOptions<ClusterOptions> Bind(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddHeraldStorage(new DatabaseOptions()).AddHeraldCluster(configuration);
        return services.BuildServiceProvider().GetRequiredService<IOptions<ClusterOptions>>();
    }
}
