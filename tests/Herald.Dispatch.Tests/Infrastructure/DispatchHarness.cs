using System.Collections.Concurrent;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Dispatch.Intake;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Dispatch.Tests.Infrastructure;

/// <summary>
/// The real dispatcher, registered by <see cref="DispatchServiceCollectionExtensions.AddHeraldDispatch"/> over a real
/// SQLite queue, with a <see cref="FakeTimeProvider"/> as the only clock and an in-process provider: time moves only
/// when a test advances it, so every instant on a timeline is exact.
/// </summary>
public sealed class DispatchHarness : IAsyncDisposable
{
    public const string ProviderId = "prov-1";
    public const string Nickname = "Stub";

    private readonly ServiceProvider _services;
    private readonly string _directory;
    private bool _started;

    private DispatchHarness(ServiceProvider services, string directory, FakeTimeProvider time, StubSender sender)
    {
        _services = services;
        _directory = directory;
        Time = time;
        Sender = sender;
    }

    public static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Time { get; }
    public StubSender Sender { get; }
    public IDispatchQueue Queue => _services.GetRequiredService<IDispatchQueue>();
    public IMessageStore Messages => _services.GetRequiredService<IMessageStore>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A migrated database and a dispatcher (not started) for a provider with the given limits.</summary>
    /// <param name="policy">The send-path policy the dispatcher checks after each claim; null allows everything.</param>
    public static async Task<DispatchHarness> CreateAsync(Func<OutboundMessage, SendOutcome> answer, int rateLimit = 0, int maxInFlight = 0,
        ISendPolicy? policy = null, params (string Key, string Value)[] settings)
    {
        var time = new FakeTimeProvider(T0);
        var sender = new StubSender(time, answer);
        var directory = Directory.CreateTempSubdirectory("herald-dispatch-tests-").FullName;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"{DispatchOptions.Section}:{s.Key}", s.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddLogging();
        services.AddHeraldStorage(new DatabaseOptions
        {
            Provider = "sqlite", ConnectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "herald.db") }.ToString(),
        });
        if (policy is not null)
        {
            services.AddSingleton(policy);
        }
        services.AddHeraldDispatch(configuration);
        services.AddSingleton<ISenderResolver>(new Resolver(new ResolvedProvider(sender, rateLimit, maxInFlight, T0)));
        services.AddSingleton<IHostApplicationLifetime, StartedLifetime>();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        await provider.GetRequiredService<IDatabase>().MigrateAsync(Ct);
        return new DispatchHarness(provider, directory, time, sender);
    }

    /// <summary>Starts the dispatcher off the test's synchronization context.</summary>
    public async Task StartAsync()
    {
        _started = true;
        await Task.Run(() => _services.GetRequiredService<DispatchHost>().StartAsync(Ct), Ct);
    }

    /// <summary>Queues messages as the API does, now on the fake clock, and wakes the dispatcher.</summary>
    public async Task<IReadOnlyList<string>> EnqueueAsync(string type, int count = 1, TimeSpan? validity = null)
    {
        var now = Time.GetUtcNow();
        var batch = Enumerable.Range(0, count).Select(i =>
        {
            var message = new MessageRecord
            {
                Id = $"{type}-{Guid.NewGuid():N}", ProviderId = ProviderId, ProviderNickname = Nickname, To = $"+9198{i:D8}", Body = $"{type} {i}",
                Type = type, Source = "api", Status = DeliveryState.Queued, CreatedAt = now, UpdatedAt = now,
            };
            return (message, new DispatchInfo(Lanes.For(type), now, validity is { } v ? now + v : null, "gsm7", 1));
        }).ToList();
        await Queue.EnqueueAsync(batch, null, Ct);
        _services.GetRequiredService<IDispatchSignal>().Notify();
        return batch.Select(b => b.message.Id).ToList();
    }

    /// <summary>Waits (in real time, generously) until <paramref name="condition"/> holds; fails the test if it never does.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> condition, string what, TimeSpan? timeout = null)
        where T : class
    {
        var limit = TimeProvider.System.GetTimestamp();
        while (true)
        {
            if (await condition() is { } value)
            {
                return value;
            }
            if (TimeProvider.System.GetElapsedTime(limit) > (timeout ?? TimeSpan.FromSeconds(60)))
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }
            await Task.Delay(5, Ct);
        }
    }

    /// <summary>The message's timeline once <paramref name="done"/> says it is complete.</summary>
    public Task<IReadOnlyList<MessageEventRecord>> TimelineWhenAsync(string id, Func<IReadOnlyList<MessageEventRecord>, bool> done, string what) =>
        EventuallyAsync(async () =>
        {
            var events = await Messages.GetEventsAsync(id, Ct);
            return done(events) ? events : null;
        }, what);

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await _services.GetRequiredService<DispatchHost>().StopAsync(CancellationToken.None);
        }
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still open: the temp folder is cleaned up later
        }
    }

    /// <summary>The provider: answers with <c>answer</c>, and records each call at its fake instant.</summary>
    public sealed class StubSender(TimeProvider time, Func<OutboundMessage, SendOutcome> answer) : ISmsSender
    {
        public ConcurrentQueue<(string MessageId, string Type, DateTimeOffset At)> Calls { get; } = new();

        public Task<SendResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Calls.Enqueue((message.MessageId, message.Type, time.GetUtcNow()));
            return Task.FromResult(new SendResult(answer(message), null));
        }

        public void Validate(OutboundMessage message)
        {
        }
    }

    private sealed class Resolver(ResolvedProvider provider) : ISenderResolver
    {
        public Task<int?> CombinedRateAsync(CancellationToken cancellationToken) =>
            Task.FromResult<int?>(provider.RateLimit > 0 ? provider.RateLimit : null);

        public Task<ResolvedProvider?> ResolveAsync(string providerId, CancellationToken cancellationToken) =>
            Task.FromResult<ResolvedProvider?>(providerId == ProviderId ? provider : null);

        public ISmsSender SenderFor(Herald.Storage.Records.ProviderRecord record) => provider.Sender;
    }

    /// <summary>A host that has already started (the dispatcher waits for it before sending).</summary>
    private sealed class StartedLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => new(canceled: true);
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
