using Herald.Storage.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Storage.Tests;

/// <summary>Opening a database and registering the stores (no database needed beyond a temp SQLite file).</summary>
public sealed class HeraldDatabaseTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "herald-storage-tests", Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("mysql")]
    [InlineData("")]
    public void Open_UnknownProvider_ThrowsNamingTheChoices(string provider)
    {
        var ex = Assert.Throws<ArgumentException>(() => HeraldDatabase.Open(
            new DatabaseOptions { Provider = provider, ConnectionString = "Data Source=x.db" }, TimeProvider.System));

        Assert.Contains("use sqlite or postgres", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public void Open_NoConnectionString_ThrowsNamingTheSetting(string provider)
    {
        var ex = Assert.Throws<ArgumentException>(() => HeraldDatabase.Open(new DatabaseOptions { Provider = provider }, TimeProvider.System));

        Assert.Contains("Herald:Database:ConnectionString", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_SqliteFileInMissingFolder_CreatesFolderAndDatabase()
    {
        var path = Path.Combine(_directory, "nested", "deeper", "herald.db");
        await using var database = HeraldDatabase.Open(
            new DatabaseOptions { Provider = " SQLite ", ConnectionString = $"Data Source={path}" }, new FakeTimeProvider());

        await database.Database.MigrateAsync(Ct);

        Assert.True(File.Exists(path));
        Assert.Equal("sqlite", database.Database.Provider);
        Assert.Equal($"sqlite ({path})", database.Database.Description);
    }

    [Fact]
    public async Task AddHeraldStorage_ResolvesEveryStore_OverOneDatabaseAndTheRegisteredClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(time)
            .AddHeraldStorage(new DatabaseOptions { ConnectionString = $"Data Source={Path.Combine(_directory, "di.db")}" });
        await using var provider = services.BuildServiceProvider();

        var database = provider.GetRequiredService<IDatabase>();
        await database.MigrateAsync(Ct);
        var inbox = provider.GetRequiredService<IDlrInbox>();
        var id = await inbox.StoreAsync(new Records.DlrInboxItem
        {
            ProviderId = "p", ReceivedAt = time.GetUtcNow(), Method = "GET", Body = "", Query = "",
        }, Ct);
        await inbox.MarkProcessedAsync(id, "{}", Ct);

        var herald = provider.GetRequiredService<HeraldDatabase>();
        Assert.Same(herald.Database, database);
        Assert.Same(herald.Providers, provider.GetRequiredService<IProviderStore>());
        Assert.Same(herald.Messages, provider.GetRequiredService<IMessageStore>());
        Assert.Same(herald.Queue, provider.GetRequiredService<IDispatchQueue>());
        Assert.Same(herald.DeadLetters, provider.GetRequiredService<IDeadLetterStore>());
        Assert.Same(herald.DlrInbox, provider.GetRequiredService<IDlrInbox>());
        Assert.Same(herald.PendingReports, provider.GetRequiredService<IPendingReports>());
        Assert.Same(herald.ApiKeys, provider.GetRequiredService<IApiKeyStore>());
        Assert.Same(herald.ProviderGroups, provider.GetRequiredService<IProviderGroupStore>());
        Assert.Same(herald.DashboardUsers, provider.GetRequiredService<IDashboardUserStore>());
        Assert.Same(herald.Outbox, provider.GetRequiredService<IOutboxStore>());
        Assert.Same(herald.Stats, provider.GetRequiredService<IMessageStats>());
        Assert.Equal(time.GetUtcNow(), (await inbox.RecentAsync("p", 1, Ct))[0].ProcessedAt);
    }
}
