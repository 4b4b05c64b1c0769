using System.Threading.Channels;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Api.DeliveryReports;

/// <summary>How delivery-report callbacks are written (<c>Herald:Dlr</c>).</summary>
public sealed class DlrIngestOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Dlr";

    /// <summary>Most callbacks written in one transaction. Default 500.</summary>
    public int MaxBatch { get; set; } = 500;

    /// <summary>Transactions writing callbacks at once; 0 = one on SQLite (a single writer anyway), four on PostgreSQL. Default 0.</summary>
    public int Writers { get; set; }

    /// <summary>Callbacks waiting for a writer before new ones wait for room. Default 20,000.</summary>
    public int QueueLimit { get; set; } = 20_000;

    /// <summary>
    /// How long raw callbacks are kept (the report log of <c>/reports</c>, <c>herald dlr tail</c>); older ones are deleted in the
    /// background, a few hundred at a time. Default 30 days. Which callbacks are kept at all: see <see cref="DlrProcessor"/>
    /// (those not applied cleanly, test SMS, one plain success in <c>Herald:Dispatch:KeepSuccessBodiesOneIn</c>).
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a report that overtook its send's answer waits for it before it is given up. Default 1 hour.</summary>
    public TimeSpan ParkedFor { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the retention and give-up sweeps run. Default 1 minute.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);
}

internal sealed class DlrIngestOptionsValidator : IValidateOptions<DlrIngestOptions>
{
    public ValidateOptionsResult Validate(string? name, DlrIngestOptions o)
    {
        var failures = new List<string>();
        if (o.MaxBatch is < 1 or > 5000)
        {
            failures.Add("Herald:Dlr:MaxBatch must be between 1 and 5000.");
        }
        if (o.Writers is < 0 or > 64)
        {
            failures.Add("Herald:Dlr:Writers must be between 0 (automatic) and 64.");
        }
        if (o.QueueLimit < 1)
        {
            failures.Add("Herald:Dlr:QueueLimit must be at least 1.");
        }
        if (o.Retention < TimeSpan.FromSeconds(1) || o.ParkedFor < TimeSpan.FromSeconds(1) || o.SweepInterval < TimeSpan.FromMilliseconds(10))
        {
            failures.Add("Herald:Dlr:Retention and ParkedFor must be at least 00:00:01, SweepInterval at least 00:00:00.010.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Registers delivery-report processing.</summary>
internal static class DeliveryReportServices
{
    public static IServiceCollection AddDeliveryReports(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<DlrProcessor>();
        services.AddOptions<DlrIngestOptions>().Bind(configuration.GetSection(DlrIngestOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DlrIngestOptions>, DlrIngestOptionsValidator>();
        services.AddSingleton<DlrIngest>();
        services.AddHostedService(sp => sp.GetRequiredService<DlrIngest>());
        services.AddHostedService<DlrRecoveryService>();
        services.AddHostedService<PendingReportWorker>();
        return services;
    }
}

/// <summary>
/// Group commit for delivery-report callbacks. Each callback waits here until a writer has stored and applied it
/// together with every other callback that arrived meanwhile, in one transaction; then it is answered. A callback
/// is acknowledged only once it is durable, and a thousand callbacks cost one disk flush instead of three thousand.
/// </summary>
internal sealed partial class DlrIngest(DlrProcessor processor, IDatabase database, IOptions<DlrIngestOptions> options, ILogger<DlrIngest> logger)
    : BackgroundService
{
    private readonly Channel<Waiting> _queue = Channel.CreateBounded<Waiting>(new BoundedChannelOptions(options.Value.QueueLimit)
    {
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Stores and applies one callback with others; its answer once committed.</summary>
    /// <exception cref="DlrIngestClosedException">Herald is stopping: the callback was not stored.</exception>
    public async Task<(int StatusCode, DlrAnswer Answer)> SubmitAsync(DlrInboxItem item, CancellationToken cancellationToken)
    {
        var waiting = new Waiting(item, new TaskCompletionSource<(int, DlrAnswer)>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await _queue.Writer.WriteAsync(waiting, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new DlrIngestClosedException();
        }
        // Once queued it is written even if the caller hangs up: the provider's retry then finds it applied.
        return await waiting.Answer.Task.WaitAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var writers = options.Value.Writers > 0 ? options.Value.Writers : database.Provider == "sqlite" ? 1 : 4;
        // The writers drain the queue to the end, also while stopping: everything queued was promised an answer.
        return Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(WriteAsync, CancellationToken.None)));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task WriteAsync()
    {
        var batch = new List<Waiting>(options.Value.MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < options.Value.MaxBatch && _queue.Reader.TryRead(out var waiting))
            {
                batch.Add(waiting);
            }
            if (batch.Count > 0)
            {
                await WriteBatchAsync(batch);
            }
        }
    }

    private async Task WriteBatchAsync(List<Waiting> batch)
    {
        try
        {
            var answers = await processor.ProcessAsync(batch.Select(w => w.Item).ToList(), stored: false, CancellationToken.None);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Answer.TrySetResult(answers[i]);
            }
        }
        catch (Exception ex)
        {
            // Nothing of the batch was committed: each sender gets an error and retries.
            LogFailed(logger, batch.Count, ex);
            foreach (var waiting in batch)
            {
                waiting.Answer.TrySetException(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Count} delivery reports failed; their senders get an error and will retry")]
    private static partial void LogFailed(ILogger logger, int count, Exception exception);

    private sealed record Waiting(DlrInboxItem Item, TaskCompletionSource<(int, DlrAnswer)> Answer);
}

/// <summary>Herald is stopping and takes no more callbacks.</summary>
internal sealed class DlrIngestClosedException() : Exception("Herald is stopping; send the report again later.");
