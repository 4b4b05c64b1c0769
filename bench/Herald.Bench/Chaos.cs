using System.Web;
using Spectre.Console;

namespace Herald.Bench;

/// <summary>
/// Chaos mode: once the campaign is accepted, kill -9 the server every interval and start it again on the same
/// data. Meanwhile it follows the simulator's request log (it keeps the newest 1,000, so it is read every
/// 200 ms and gaps are reported) to learn which message went to the provider more than once, and at the end
/// checks that each such message's timeline says <c>resent-after-crash</c>.
/// </summary>
internal sealed class Chaos(Stack stack, BenchOptions options, Load load, Monitor monitor, TimeProvider time)
{
    private readonly Dictionary<string, int> _acceptedSends = new(StringComparer.Ordinal);
    private long _lastRequestId;
    private long _missedRequests;

    public int Kills { get; private set; }

    /// <summary>Starts following the request log after <paramref name="lastRequestId"/> (the warm-up's requests are not the run's).</summary>
    public void StartAfter(long lastRequestId) => _lastRequestId = lastRequestId;

    /// <summary>Send requests the log had dropped before they were read (0 = every send was seen).</summary>
    public long MissedRequests => _missedRequests;

    /// <summary>
    /// Kills until every message is final or <paramref name="stop"/> ends it; a restart that has begun finishes
    /// (bounded by <paramref name="run"/>), so the server is up afterwards.
    /// </summary>
    public async Task KillAsync(CancellationToken stop, CancellationToken run)
    {
        while (monitor.AllFinal is null)
        {
            try
            {
                await Task.Delay(options.KillEvery!.Value, time, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            if (monitor.AllFinal is not null)
            {
                return;
            }
            AnsiConsole.MarkupLineInterpolated($"[yellow]{monitor.Elapsed.TotalSeconds,6:F1}s  kill -9 herald serve (pid {stack.Server.Id}) and restart[/]");
            await stack.RestartServerAsync(run);
            Kills++;
        }
    }

    /// <summary>Reads the simulator's request log every 200 ms until the token ends it.</summary>
    public async Task TrackAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ReadLogAsync(cancellationToken);
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (Transient.Is(ex, cancellationToken))
            {
                // busy; next round
            }
        }
    }

    /// <summary>Reads what is new in the request log (also called once more at the end).</summary>
    public async Task ReadLogAsync(CancellationToken cancellationToken)
    {
        var requests = await stack.Sim.RequestsAsync(1000, cancellationToken);
        var fresh = requests.Where(r => r.Id > _lastRequestId).OrderBy(r => r.Id).ToList();
        if (fresh.Count == 0)
        {
            return;
        }
        if (fresh[0].Id > _lastRequestId + 1)
        {
            _missedRequests += fresh[0].Id - _lastRequestId - 1;
        }
        _lastRequestId = fresh[^1].Id;
        foreach (var request in fresh.Where(r => r.Response.Status == 200))
        {
            foreach (var id in MessageIds(request))
            {
                _acceptedSends[id] = _acceptedSends.GetValueOrDefault(id) + 1;
            }
        }
    }

    /// <summary>Herald's ids of the messages in one accepted send: message_id (connector) or, per recipient, ref or the number (Kaleyra).</summary>
    private IEnumerable<string> MessageIds(SimRequest request)
    {
        var form = HttpUtility.ParseQueryString(request.Body);
        if (request.Path.EndsWith("/connector/sms", StringComparison.Ordinal))
        {
            return form["message_id"] is { } id ? [id] : [];
        }
        var to = form["to"]?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        if (form["ref"] is { } reference && to.Length == 1)
        {
            return [reference];
        }
        // Campaign numbers are distinct per message, so the number names the message.
        return to.Select(Load.IndexOf).Where(i => i is not null && load.Ids.ContainsKey(i.Value)).Select(i => load.Ids[i!.Value]);
    }

    /// <summary>Messages the provider accepted more than once, with how many extra times.</summary>
    public IReadOnlyDictionary<string, int> Duplicates() =>
        _acceptedSends.Where(p => p.Value > 1).ToDictionary(p => p.Key, p => p.Value - 1);

    /// <summary>The duplicated messages whose timeline has no resent-after-crash note.</summary>
    public async Task<List<string>> UnmarkedAsync(IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var unmarked = new List<string>();
        foreach (var id in ids.Take(10_000))
        {
            using var message = await stack.Herald.GetMessageAsync(id, cancellationToken);
            var marked = message.RootElement.TryGetProperty("timeline", out var timeline) && timeline.EnumerateArray().Any(e =>
                e.TryGetProperty("note", out var note) && note.GetString()?.Contains("resent-after-crash", StringComparison.Ordinal) == true);
            if (!marked)
            {
                unmarked.Add(id);
            }
        }
        return unmarked;
    }
}
