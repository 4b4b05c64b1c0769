using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Herald.Simulator.Inspection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Simulator.Callbacks;

/// <summary>
/// Delivers queued callbacks (CleverTap-format DLRs of the connector face, Kaleyra status callbacks of the
/// Kaleyra face). Each waits for its due time, then is sent as its <see cref="CallbackRequest"/> (any method,
/// body, content type and headers); a 5xx, 408, 429, timeout or connection error is retried after the job's
/// own <see cref="DlrJob.RetryDelays"/>, or by default up to <see cref="SimulatorOptions.DlrRetryCount"/>
/// times after <see cref="SimulatorOptions.DlrRetryBaseDelay"/> × 2^n; a 2xx ends it; any other status fails
/// it for good. A chained <see cref="DlrJob.Then"/> starts once its predecessor finished. Waiting callbacks
/// hold no resources beyond a timer; at most <see cref="MaxConcurrentSends"/> requests are in flight.
/// Stopping the host cancels every pending delivery.
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
            unread.FinishChain(CallbackResult.Cancelled);
        }

        // Every delivery observes stoppingToken and never throws.
        await Task.WhenAll(_inFlight.Values);
    }

    private async Task DeliverAsync(DlrJob job, CancellationToken ct)
    {
        for (DlrJob? current = job; current is not null; current = current.Then)
        {
            if (!await DeliverOneAsync(current, ct))
            {
                current.Then?.FinishChain(CallbackResult.Cancelled);
                return;
            }
        }
    }

    /// <summary>Delivers one job until it succeeds or is given up; false when cancelled by shutdown.</summary>
    private async Task<bool> DeliverOneAsync(DlrJob job, CancellationToken ct)
    {
        var messageId = job.Entry.MessageId;
        var retries = job.RetryDelays?.Count ?? options.DlrRetryCount;
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
                    return true;
                }

                if (result == AttemptResult.Permanent || attempt > retries)
                {
                    job.Entry.Finish(CallbackResult.Failed);
                    counters.DlrFailed();
                    LogGaveUp(messageId, job.Request.Url, attempt);
                    return true;
                }

                var delay = job.RetryDelays is { } delays ? delays[attempt - 1] : Backoff(attempt);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, time, ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            job.Entry.Finish(CallbackResult.Cancelled);
            return false;
        }
        catch (Exception ex)
        {
            job.Entry.Finish(CallbackResult.Failed);
            counters.DlrFailed();
            LogUnexpected(ex, messageId);
            return true;
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
            using var request = NewRequest(job.Request);

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
                LogAttemptFailed(job.Entry.MessageId, job.Request.Url, attempt, status);
                return transient ? AttemptResult.Transient : AttemptResult.Permanent;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                job.Entry.AddAttempt(new CallbackAttempt(attempt, at, null, $"timed out after {AttemptTimeout.TotalSeconds:0} s"));
                LogAttemptError(job.Entry.MessageId, job.Request.Url, attempt, "timeout");
                return AttemptResult.Transient;
            }
            catch (HttpRequestException ex)
            {
                var error = ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
                job.Entry.AddAttempt(new CallbackAttempt(attempt, at, null, error));
                LogAttemptError(job.Entry.MessageId, job.Request.Url, attempt, error);
                return AttemptResult.Transient;
            }
        }
        finally
        {
            _sendSlots.Release();
        }
    }

    private static HttpRequestMessage NewRequest(CallbackRequest spec)
    {
        var request = new HttpRequestMessage(spec.Method, spec.Url);
        if (spec.Body is { } body)
        {
            var content = new ByteArrayContent(body);
            if (spec.ContentType is { } contentType)
            {
                if (MediaTypeHeaderValue.TryParse(contentType, out var parsed))
                {
                    content.Headers.ContentType = parsed;
                }
                else
                {
                    content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                }
            }

            request.Content = content;
        }

        if (spec.Headers is { } headers)
        {
            foreach (var (name, value) in headers)
            {
                if (!request.Headers.TryAddWithoutValidation(name, value))
                {
                    request.Content?.Headers.TryAddWithoutValidation(name, value);
                }
            }
        }

        return request;
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
