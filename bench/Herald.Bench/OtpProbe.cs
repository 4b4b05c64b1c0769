using System.Collections.Concurrent;
using System.Globalization;

namespace Herald.Bench;

/// <summary>
/// OTPs sent one at a time (POST /api/v1/messages, type otp) while the campaign dispatches, spread so that
/// they cover the dispatch phase. Latency: from just before the POST until Herald shows the OTP past
/// <c>dispatching</c> (accepted by the provider, or later). One poller lists the OTP number's messages every
/// 10 ms (an indexed query), so the figure includes up to ~10 ms of polling and the write of the accepted state.
/// </summary>
internal sealed class OtpProbe(Stack stack, BenchOptions options, Load load, Monitor monitor, TimeProvider time)
{
    /// <summary>All OTPs go to this number (its own index in the to-number list keeps the poll cheap).</summary>
    public const string Number = "+919811112222";

    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentDictionary<string, long> _outstanding = new();
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly List<string> _ids = [];
    private volatile bool _sending = true;

    public IReadOnlyList<string> Ids => _ids;

    public int Sent => _ids.Count;

    /// <summary>OTPs submitted but never seen past dispatching (when the run ended).</summary>
    public int Unseen => _outstanding.Count;

    public IReadOnlyList<double> LatenciesMs => [.. _latencies.Order()];

    public async Task RunAsync(string runTag, CancellationToken cancellationToken)
    {
        var poller = Task.Run(() => PollAsync(cancellationToken), cancellationToken);
        try
        {
            await SendAllAsync(runTag, cancellationToken);
        }
        finally
        {
            _sending = false;
        }
        await poller;
    }

    private async Task SendAllAsync(string runTag, CancellationToken cancellationToken)
    {
        // Start once the campaign has started to arrive (bounded by the run's timeout through the token).
        while (load.Accepted == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), time, cancellationToken);
        }
        for (var n = 0; n < options.Otp; n++)
        {
            // Only while the campaign is still on its way to the provider: an OTP on an idle server measures nothing.
            var campaign = options.Duration is null ? options.Messages : load.Accepted;
            if (n > 0 && monitor.Sends >= campaign + n)
            {
                return;
            }
            await Task.Delay(NextInterval(campaign, n), time, cancellationToken);
            var code = (100_000 + ((n * 7919) % 900_000)).ToString(CultureInfo.InvariantCulture);
            var message = new
            {
                to = Number, body = $"Your Herald verification code is {code}. It expires in 10 minutes.", type = "otp",
                sender = "KLRHXA", provider = Stack.ProviderNickname,
            };
            var started = time.GetTimestamp();
            var id = await SendWithRetryAsync(message, $"bench-otp-{runTag}-{n}", cancellationToken);
            _outstanding[id] = started;
            _ids.Add(id);
            monitor.AddExpected(1);
        }
    }

    /// <summary>Spreads the remaining OTPs over the campaign's remaining dispatch time at its current rate.</summary>
    private TimeSpan NextInterval(long campaign, int n)
    {
        var rate = monitor.SendRate;
        if (rate < 1)
        {
            return TimeSpan.FromMilliseconds(20);
        }
        var remainingSeconds = Math.Max(0, campaign + n - monitor.Sends) / rate;
        var interval = TimeSpan.FromSeconds(remainingSeconds / Math.Max(1, options.Otp - n));
        return interval < TimeSpan.FromMilliseconds(5) ? TimeSpan.FromMilliseconds(5)
            : interval > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : interval;
    }

    /// <summary>The same Idempotency-Key on every retry, so a POST whose answer was lost (chaos) is not sent twice.</summary>
    private async Task<string> SendWithRetryAsync(object message, string key, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await stack.Herald.SendAsync(message, key, cancellationToken);
            }
            catch (Exception ex) when (attempt < 300 && ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken); // server restarting (chaos): up to a minute
            }
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        while (_sending || !_outstanding.IsEmpty)
        {
            await Task.Delay(PollEvery, time, cancellationToken);
            if (_outstanding.IsEmpty)
            {
                continue;
            }
            try
            {
                // The newest OTPs (an indexed query on the number), as many as are outstanding and two more: OTPs go one at a
                // time, so the outstanding ones are the newest. A wider page would load the server under test (every OTP sent
                // so far, serialised 100 times a second). One that fell out of that window, or is older than 5 s, is asked for by id.
                var (items, _) = await stack.Herald.ListAsync(null, Number, Math.Min(500, _outstanding.Count + 2), null, cancellationToken);
                var seenAt = time.GetTimestamp();
                Seen(items, seenAt);
                foreach (var (id, started) in _outstanding.Where(o => time.GetElapsedTime(o.Value) > TimeSpan.FromSeconds(5)).Take(5).ToList())
                {
                    using var message = await stack.Herald.GetMessageAsync(id, cancellationToken);
                    Seen([new MessageRow(id, message.RootElement.GetProperty("status").GetString()!)], time.GetTimestamp());
                }
            }
            catch (Exception ex) when (Transient.Is(ex, cancellationToken))
            {
                // server restarting (chaos) or busy
            }
        }
    }

    private void Seen(IEnumerable<MessageRow> items, long seenAt)
    {
        foreach (var item in items)
        {
            if (item.Status is not ("queued" or "dispatching") && _outstanding.TryRemove(item.Id, out var started))
            {
                _latencies.Add(time.GetElapsedTime(started, seenAt).TotalMilliseconds);
            }
        }
    }

    /// <summary>Nearest-rank percentile of sorted values, or null when there are none.</summary>
    public static double? Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
