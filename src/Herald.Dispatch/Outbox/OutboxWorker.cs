using System.Text;
using System.Text.Json.Nodes;
using Herald.Core;
using Herald.Providers;
using Herald.Providers.Http;
using Herald.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Herald.Dispatch.Outbox;

/// <summary>
/// Delivers the webhook outbox: claims due entries under a lease (so several nodes share it and a crashed node's claims come
/// back when the lease ends), POSTs each topic's entries for one URL in one body, marks them sent on 2xx (never sent again),
/// retries 5xx, 408, 429 and connection failures with exponential backoff and jitter until the topic's attempts or the entry's
/// validity run out, and gives up at once on other 4xx. Every attempt goes on the entry's message timeline (source <c>relay</c>).
/// </summary>
internal sealed partial class OutboxWorker(
    IOutboxStore store,
    IEnumerable<IOutboxTopic> topics,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILogger<OutboxWorker> logger) : BackgroundService, IOutboxSignal
{
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Dictionary<string, IOutboxTopic> _topics = topics.ToDictionary(t => t.Name, StringComparer.Ordinal);
    private readonly string _owner = $"outbox/{Guid.NewGuid().ToString("N")[..8]}";

    public void Notify()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
        catch (ObjectDisposedException)
        {
            // shutting down: the next start polls anyway
        }
    }

    private TimeSpan Poll => _topics.Count == 0 ? TimeSpan.FromSeconds(1) : _topics.Values.Min(t => t.Policy.PollInterval);

    private int BatchSize => _topics.Count == 0 ? 100 : _topics.Values.Max(t => t.Policy.BatchSize);

    // Long enough that a slow receiver is answered (or timed out) before another node may take the same rows.
    private TimeSpan Lease => (_topics.Count == 0 ? TimeSpan.FromSeconds(10) : _topics.Values.Max(t => t.Policy.Timeout)) * 2 + TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Not cancelled by the stop: a claim cut off after the database ran it would leave rows leased that this
                // worker never saw (until the lease ran out). Rows it did see are released on stop below.
                IReadOnlyList<OutboxRecord> claimed;
                using (var claimTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), time))
                {
                    claimed = await store.ClaimAsync(_owner, Lease, BatchSize, claimTimeout.Token);
                }
                if (claimed.Count > 0)
                {
                    await DeliverAsync(claimed, stoppingToken);
                    if (claimed.Count == BatchSize)
                    {
                        continue;
                    }
                }
                await WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLoopFailed(logger, ex);
                await Task.Delay(Poll, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(Poll, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _wake.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // poll interval passed
        }
    }

    private async Task DeliverAsync(IReadOnlyList<OutboxRecord> claimed, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(claimed.GroupBy(r => (r.Topic, r.Url)).Select(group => DeliverGroupAsync(group.Key.Topic, group.Key.Url, [.. group], cancellationToken)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: give back what was not completed, so the next start (or another node) sends it without waiting for the lease.
            await store.ReleaseAsync([.. claimed.Select(r => r.Id)], CancellationToken.None);
            throw;
        }
    }

    private async Task DeliverGroupAsync(string topicName, string url, IReadOnlyList<OutboxRecord> entries, CancellationToken cancellationToken)
    {
        if (!_topics.TryGetValue(topicName, out var topic))
        {
            await store.CompleteAsync([.. entries.Select(e => Dead(e, "webhook", $"no topic '{topicName}' is registered on this node"))], cancellationToken);
            return;
        }
        if (topic.Refusal(url) is { } refusal)
        {
            await store.CompleteAsync([.. entries.Select(e => Dead(e, topic.EventPrefix, $"not sent: {refusal}"))], cancellationToken);
            return;
        }
        var policy = topic.Policy;
        foreach (var chunk in entries.Chunk(Math.Max(1, policy.BatchSize)))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(topic.Body(chunk), Encoding.UTF8, "application/json") };
            var (response, responseBody, exchange, _) = await new ExchangeRecorder().SendAsync(
                httpClients.CreateClient(ProviderHttp.ClientName), request, policy.Timeout, cancellationToken);
            using (response)
            {
                var status = response is null ? (int?)null : (int)response.StatusCode;
                var accepted = status is >= 200 and < 300;
                var transient = status is null or 408 or 429 or >= 500;
                var host = new Uri(url).Authority;
                var answer = status is null ? exchange.Error ?? "no answer" : $"HTTP {status}";
                var now = time.GetUtcNow();
                var notes = accepted ? topic.Delivered(chunk, host, answer, responseBody) : null;
                var completions = chunk.Select((e, i) =>
                {
                    var attempt = e.Attempts + 1;
                    var detail = Detail(e, exchange, attempt, chunk.Length);
                    if (accepted)
                    {
                        return new OutboxCompletion
                        {
                            Id = e.Id, MessageId = e.MessageId, Status = OutboxStatus.Sent, Event = topic.EventPrefix + "ed", Detail = detail,
                            Note = notes![i],
                        };
                    }
                    var next = now + Backoff(policy, attempt);
                    if (transient && attempt < policy.MaxAttempts && (e.ValidUntil is null || next < e.ValidUntil))
                    {
                        return new OutboxCompletion
                        {
                            Id = e.Id, MessageId = e.MessageId, Status = OutboxStatus.Pending, NextAttemptAt = next, Error = answer, Event = topic.EventPrefix + "-retry",
                            Detail = detail, Note = $"{topic.EventPrefix} to {host} failed ({answer}, attempt {attempt} of {policy.MaxAttempts}); next attempt at {next:O}",
                        };
                    }
                    return Dead(e, topic.EventPrefix, transient
                        ? $"{topic.EventPrefix} to {host} given up after {attempt} attempts (last: {answer})"
                        : $"{topic.EventPrefix} to {host} refused ({answer}): not retried", answer, detail);
                }).ToList();
                await store.CompleteAsync(completions, CancellationToken.None);
                LogDelivered(logger, chunk.Length, topicName, host, answer);
            }
        }
    }

    private static OutboxCompletion Dead(OutboxRecord entry, string prefix, string note, string? error = null, string? detail = null) => new()
    {
        Id = entry.Id, MessageId = entry.MessageId, Status = OutboxStatus.Dead, Error = error ?? note, Event = prefix + "-dead", Note = note, Detail = detail,
    };

    /// <summary>base × 2^(attempt-1), ±20 % jitter, capped at the policy's longest delay.</summary>
    private static TimeSpan Backoff(OutboxPolicy policy, int attempt)
    {
        var exponential = policy.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, policy.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private static string Detail(OutboxRecord entry, Herald.Core.Providers.HttpExchange exchange, int attempt, int batch)
    {
        var response = exchange.Response;
        return new JsonObject
        {
            ["url"] = exchange.Request.Url,
            ["attempt"] = attempt,
            ["eventsInPost"] = batch,
            ["record"] = JsonNode.Parse(entry.Payload),
            ["status"] = response?.Status,
            ["response"] = response is null ? null : response.Body.Length > 2000 ? response.Body[..2000] + "…" : response.Body,
            ["error"] = exchange.Error,
            ["elapsedMs"] = exchange.ElapsedMs,
        }.ToJsonString(HeraldJson.Options);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Posted {Count} {Topic} outbox entr(ies) to {Host}: {Answer}")]
    private static partial void LogDelivered(ILogger logger, int count, string topic, string host, string answer);

    [LoggerMessage(Level = LogLevel.Error, Message = "The outbox worker hit an error; it tries again at its next poll")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
