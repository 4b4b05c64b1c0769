using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Herald.Simulator.Inspection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Simulator.Callbacks;

/// <summary>
/// Posts queued DLRs to their callback URLs. Each DLR waits for its due time, then is posted; a 5xx, 408,
/// 429, timeout or connection error is retried up to <see cref="SimulatorOptions.DlrRetryCount"/> times
/// after <see cref="SimulatorOptions.DlrRetryBaseDelay"/> × 2^n; a 2xx ends it; any other status fails it
/// for good. Waiting DLRs hold no resources beyond a timer; at most <see cref="MaxConcurrentSends"/> posts
/// are in flight. Stopping the host cancels every pending delivery.
/// </summary>
internal sealed partial class DlrDispatcher(
    DlrQueue queue,
    IHttpClientFactory httpClientFactory,
    SimulatorCounters counters,
    SimulatorOptions options,
    TimeProvider time,
    ILogger<DlrDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "Herald.Simulator.Callbacks";
    public const int MaxConcurrentSends = 256;
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromDays(1);

    private readonly SemaphoreSlim _sendSlots = new(MaxConcurrentSends, MaxConcurrentSends);
    private readonly ConcurrentDictionary<long, Task> _inFlight = new();

    private enum AttemptResult
    {
        Delivered,
        Transient,
        Permanent,
    }

    public override void Dispose()
    {
        _sendSlots.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in queue.Reader.ReadAllAsync(stoppingToken))
            {
                var id = job.Entry.Id;
                var delivery = DeliverAsync(job, stoppingToken);
                _inFlight[id] = delivery;
                _ = delivery.ContinueWith(
                    _ => _inFlight.TryRemove(id, out Task? _),
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        while (queue.Reader.TryRead(out var unread))
        {
            unread.Entry.Finish(CallbackResult.Cancelled);
        }

        // Every delivery observes stoppingToken and never throws.
        await Task.WhenAll(_inFlight.Values);
    }

    private async Task DeliverAsync(DlrJob job, CancellationToken ct)
    {
        var messageId = job.Entry.MessageId;
        try
        {
            var wait = job.DueAt - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, ct);
            }

            for (var attempt = 1; ; attempt++)
            {
                if (attempt > 1)
                {
                    counters.DlrRetried();
                }

                var result = await AttemptAsync(job, attempt, ct);
                if (result == AttemptResult.Delivered)
                {
                    job.Entry.Finish(CallbackResult.Delivered);
                    counters.DlrDelivered();
                    return;
                }

                if (result == AttemptResult.Permanent || attempt > options.DlrRetryCount)
                {
                    job.Entry.Finish(CallbackResult.Failed);
                    counters.DlrFailed();
                    LogGaveUp(messageId, job.Url, attempt);
                    return;
                }

                await Task.Delay(Backoff(attempt), time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            job.Entry.Finish(CallbackResult.Cancelled);
        }
        catch (Exception ex)
        {
            job.Entry.Finish(CallbackResult.Failed);
            counters.DlrFailed();
            LogUnexpected(ex, messageId);
        }
    }

    /// <summary>Delay after failed attempt <paramref name="attempt"/>: base × 2^(attempt-1), capped at a day.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var ticks = options.DlrRetryBaseDelay.Ticks * Math.Pow(2, attempt - 1);
        return ticks >= MaxBackoff.Ticks ? MaxBackoff : TimeSpan.FromTicks((long)ticks);
    }

    private async Task<AttemptResult> AttemptAsync(DlrJob job, int attempt, CancellationToken ct)
    {
        await _sendSlots.WaitAsync(ct);
        try
        {
            using var timeout = new CancellationTokenSource(AttemptTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            using var content = new ByteArrayContent(job.Body);
            content.Headers.ContentType = JsonContentType;
            using var request = new HttpRequestMessage(HttpMethod.Post, job.Url) { Content = content };

            var at = time.GetUtcNow();
            try
            {
                var client = httpClientFactory.CreateClient(HttpClientName);
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
                var status = (int)response.StatusCode;
                job.Entry.AddAttempt(new CallbackAttempt(attempt, at, status, null));

                if (response.IsSuccessStatusCode)
                {
                    return AttemptResult.Delivered;
                }

                var transient = status >= 500
                    || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
                LogAttemptFailed(job.Entry.MessageId, job.Url, attempt, status);
                return transient ? AttemptResult.Transient : AttemptResult.Permanent;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                job.Entry.AddAttempt(new CallbackAttempt(attempt, at, null, $"timed out after {AttemptTimeout.TotalSeconds:0} s"));
                LogAttemptError(job.Entry.MessageId, job.Url, attempt, "timeout");
                return AttemptResult.Transient;
            }
            catch (HttpRequestException ex)
            {
                var error = ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
                job.Entry.AddAttempt(new CallbackAttempt(attempt, at, null, error));
                LogAttemptError(job.Entry.MessageId, job.Url, attempt, error);
                return AttemptResult.Transient;
            }
        }
        finally
        {
            _sendSlots.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DLR for message {MessageId} to {Url}: attempt {Attempt} answered {Status}")]
    private partial void LogAttemptFailed(string messageId, Uri url, int attempt, int status);

    [LoggerMessage(Level = LogLevel.Information, Message = "DLR for message {MessageId} to {Url}: attempt {Attempt} failed: {Error}")]
    private partial void LogAttemptError(string messageId, Uri url, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DLR for message {MessageId} to {Url} failed for good after {Attempts} attempt(s)")]
    private partial void LogGaveUp(string messageId, Uri url, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "DLR for message {MessageId} failed unexpectedly")]
    private partial void LogUnexpected(Exception exception, string messageId);
}
