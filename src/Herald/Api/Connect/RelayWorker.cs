using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Hosting;
using Herald.Providers;
using Herald.Providers.Http;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Api.Connect;

/// <summary>Wakes the relay worker when a callback queued a relay, so it need not wait for its next poll.</summary>
internal sealed class RelaySignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Notify()
    {
        try
        {
            _semaphore.Release();
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

    public void Dispose() => _semaphore.Dispose();

    /// <summary>Returns when notified or after <paramref name="timeout"/>.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var notified = _semaphore.WaitAsync(stop.Token);
        var elapsed = Task.Delay(timeout, time, stop.Token);
        await Task.WhenAny(notified, elapsed);
        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(notified, elapsed);
        }
        catch (OperationCanceledException)
        {
            // the loser was cancelled
        }
        cancellationToken.ThrowIfCancellationRequested();
    }
}

/// <summary>
/// Relays delivery events to CleverTap's callback URLs: claims due relays (a lease, so several nodes share the
/// outbox), POSTs each callback URL's events as one JSON array of event groups, marks them sent on 2xx (never sent
/// again), retries 5xx, 408, 429 and connection failures with exponential backoff and jitter until
/// <see cref="KaleyraConnectorOptions.RelayMaxAttempts"/>, and gives up at once on other 4xx. Every attempt goes on
/// each message's timeline (source <c>relay</c>).
/// </summary>
internal sealed partial class RelayWorker(
    IConnectorStore store,
    ConnectorSettings settings,
    RelaySignal signal,
    IHttpClientFactory httpClients,
    TimeProvider time,
    ILogger<RelayWorker> logger) : BackgroundService
{
    private KaleyraConnectorOptions Options => settings.Options;

    // Long enough that a slow callback URL is answered (or timed out) before another node may take the same rows.
    private TimeSpan Lease => Options.RelayTimeout * 2 + TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Not cancelled by the stop: a claim cut off after the database ran it would leave rows leased that
                // this worker never saw (until the lease ran out). Rows it did see are released on stop below.
                IReadOnlyList<RelayRecord> claimed;
                using (var claimTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), time))
                {
                    claimed = await store.ClaimRelaysAsync(time.GetUtcNow(), Lease, Options.RelayBatchSize, claimTimeout.Token);
                }
                if (claimed.Count > 0)
                {
                    await RelayAsync(claimed, stoppingToken);
                    if (claimed.Count == Options.RelayBatchSize)
                    {
                        continue;
                    }
                }
                await signal.WaitAsync(Options.RelayPollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLoopFailed(logger, ex);
                try
                {
                    await Task.Delay(Options.RelayPollInterval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RelayAsync(IReadOnlyList<RelayRecord> claimed, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(claimed.GroupBy(r => r.CallbackUrl, StringComparer.Ordinal).Select(group => RelayGroupAsync(group.Key, [.. group], cancellationToken)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: give back what was not completed, so the next start (or another node) relays it without waiting for the lease.
            await store.ReleaseRelaysAsync([.. claimed.Select(r => r.Id)], CancellationToken.None);
            throw;
        }
    }

    private async Task RelayGroupAsync(string callbackUrl, IReadOnlyList<RelayRecord> relays, CancellationToken cancellationToken)
    {
        // The allow-list may have shrunk since the relay was queued: never call a host the operator removed.
        if (settings.CheckCallbackUrl(callbackUrl, out var refusal) is null)
        {
            await store.CompleteRelaysAsync([.. relays.Select(r => new RelayCompletion
            {
                Id = r.Id, MessageId = r.MessageId, Status = RelayStatus.Dead, Error = refusal!.Message, Event = "relay-dead",
                Note = $"not relayed: {refusal.Message}",
            })], cancellationToken);
            return;
        }

        var body = Body(relays);
        using var request = new HttpRequestMessage(HttpMethod.Post, callbackUrl)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        var recorder = new ExchangeRecorder();
        var (response, responseBody, exchange, _) = await recorder.SendAsync(
            httpClients.CreateClient(ProviderHttp.ClientName), request, Options.RelayTimeout, cancellationToken);
        using (response)
        {
            var status = response is null ? (int?)null : (int)response.StatusCode;
            var accepted = status is >= 200 and < 300;
            var transient = status is null or 408 or 429 or >= 500;
            var host = new Uri(callbackUrl).Authority;
            var answer = status is null ? exchange.Error ?? "no answer" : $"HTTP {status}";
            var unprocessed = accepted ? Unprocessed(responseBody) : [];
            var now = time.GetUtcNow();
            var completions = relays.Select(r =>
            {
                var attempt = r.Attempts + 1;
                var detail = Detail(r, exchange, attempt, relays.Count);
                if (accepted)
                {
                    var problem = unprocessed.GetValueOrDefault(Meta(r.Payload) ?? "");
                    return new RelayCompletion
                    {
                        Id = r.Id, MessageId = r.MessageId, Status = RelayStatus.Sent, Event = "relayed", Detail = detail,
                        Note = $"CleverTap {r.Event} event relayed to {host} ({answer}, attempt {attempt}, {relays.Count} event(s) in the POST)"
                            + (problem is null ? "" : $"; the callback URL listed it unprocessed: {problem}"),
                    };
                }
                if (transient && attempt < Options.RelayMaxAttempts)
                {
                    var next = now + Backoff(attempt);
                    return new RelayCompletion
                    {
                        Id = r.Id, MessageId = r.MessageId, Status = RelayStatus.Pending, NextAttemptAt = next, Error = answer, Event = "relay-retry",
                        Detail = detail, Note = $"relay to {host} failed ({answer}, attempt {attempt} of {Options.RelayMaxAttempts}); next attempt at {next:O}",
                    };
                }
                return new RelayCompletion
                {
                    Id = r.Id, MessageId = r.MessageId, Status = RelayStatus.Dead, Error = answer, Event = "relay-dead", Detail = detail,
                    Note = transient
                        ? $"relay to {host} given up after {attempt} attempts (last: {answer})"
                        : $"relay to {host} refused ({answer}): not retried",
                };
            }).ToList();
            await store.CompleteRelaysAsync(completions, CancellationToken.None);
            LogRelayed(logger, relays.Count, host, answer);
        }
    }

    /// <summary>CleverTap's callback body: one group per event, in the order the events first appear.</summary>
    internal static string Body(IReadOnlyList<RelayRecord> relays)
    {
        var groups = new JsonArray();
        foreach (var group in relays.GroupBy(r => r.Event, StringComparer.Ordinal))
        {
            var data = new JsonArray();
            foreach (var relay in group)
            {
                data.Add(JsonNode.Parse(relay.Payload));
            }
            groups.Add(new JsonObject { ["event"] = group.Key, ["data"] = data });
        }
        return groups.ToJsonString(HeraldJson.Options);
    }

    /// <summary>base × 2^(attempt-1), ±20 % jitter, capped at <see cref="KaleyraConnectorOptions.RelayRetryMaxDelay"/>.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var exponential = Options.RelayRetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, Options.RelayRetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private static string Detail(RelayRecord relay, Herald.Core.Providers.HttpExchange exchange, int attempt, int batch)
    {
        var response = exchange.Response;
        return new JsonObject
        {
            ["url"] = exchange.Request.Url,
            ["attempt"] = attempt,
            ["eventsInPost"] = batch,
            ["record"] = new JsonObject { ["event"] = relay.Event, ["data"] = new JsonArray(JsonNode.Parse(relay.Payload)) },
            ["status"] = response?.Status,
            ["response"] = response is null ? null : response.Body.Length > 2000 ? response.Body[..2000] + "…" : response.Body,
            ["error"] = exchange.Error,
            ["elapsedMs"] = exchange.ElapsedMs,
        }.ToJsonString(HeraldJson.Options);
    }

    private static string? Meta(string payload)
    {
        try
        {
            return JsonNode.Parse(payload)?["meta"]?.ToString();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The records a 2xx answer still lists as unprocessed (CleverTap's <c>partial</c>), by meta.</summary>
    private static Dictionary<string, string> Unprocessed(string body)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            if (JsonNode.Parse(body)?["unprocessed"] is JsonArray items)
            {
                foreach (var item in items)
                {
                    if (item?["record"]?["meta"]?.ToString() is { } meta)
                    {
                        result[meta] = item["error"]?.ToString() ?? item["code"]?.ToString() ?? "unprocessed";
                    }
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // not CleverTap's answer shape: nothing more to learn
        }
        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Relayed {Count} event(s) to {Host}: {Answer}")]
    private static partial void LogRelayed(ILogger logger, int count, string host, string answer);

    [LoggerMessage(Level = LogLevel.Error, Message = "The relay worker hit an error; it tries again at its next poll")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
