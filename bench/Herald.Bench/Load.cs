using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Herald.Bench;

/// <summary>The campaign: messages submitted through POST /api/v1/messages/batch in chunks from a few concurrent tasks.</summary>
internal sealed class Load(Stack stack, BenchOptions options, Monitor monitor, TimeProvider time)
{
    public const string Body = "Herald bench: 20% off everything today only. Reply STOP to opt out.";
    public const string TemplateId = "1107160000000012345";

    private readonly Lock _lock = new();
    private readonly Dictionary<int, string> _ids = [];
    private int _nextChunk = -1;
    private int _rejected;

    /// <summary>Message ids by the index of their recipient number (<see cref="Number"/>).</summary>
    public IReadOnlyDictionary<int, string> Ids => _ids;

    public int Accepted { get; private set; }

    public int Rejected => _rejected;

    public TimeSpan Elapsed { get; private set; }

    /// <summary>
    /// A distinct Indian mobile number per message whose last four digits are 1000-9999, so none of the
    /// simulator's special endings (0001-0009, 0429) occurs.
    /// </summary>
    public static string Number(int index) =>
        "+9197" + (index / 9000).ToString("D4", CultureInfo.InvariantCulture) + (1000 + (index % 9000)).ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>The inverse of <see cref="Number"/>, for digits with or without "+".</summary>
    public static int? IndexOf(string number)
    {
        var digits = number.TrimStart('+');
        if (digits.Length != 12 || !digits.StartsWith("9197", StringComparison.Ordinal)
            || !int.TryParse(digits.AsSpan(4, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var high)
            || !int.TryParse(digits.AsSpan(8, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var low) || low < 1000)
        {
            return null;
        }
        return (high * 9000) + (low - 1000);
    }

    /// <summary>
    /// Submits <see cref="BenchOptions.Messages"/> messages, or (soak) keeps submitting until <see cref="BenchOptions.Duration"/>
    /// has passed while at most <see cref="BenchOptions.SoakBacklog"/> wait for the provider.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        var workers = Enumerable.Range(0, options.Submitters).Select(_ => Task.Run(() => WorkAsync(start, cancellationToken), cancellationToken));
        await Task.WhenAll(workers);
        Elapsed = time.GetElapsedTime(start);
    }

    private async Task WorkAsync(long start, CancellationToken cancellationToken)
    {
        var soak = options.Duration;
        // The chunk count bounds the loop: a soak run stops at its duration, and at 20,000 chunks at most.
        var maxChunks = soak is null ? (options.Messages + options.Chunk - 1) / options.Chunk : 20_000;
        while (true)
        {
            var chunk = Interlocked.Increment(ref _nextChunk);
            if (chunk >= maxChunks || (soak is { } d && time.GetElapsedTime(start) >= d))
            {
                return;
            }
            var first = chunk * options.Chunk;
            var count = soak is null ? Math.Min(options.Chunk, options.Messages - first) : options.Chunk;
            if (soak is { } duration)
            {
                while (monitor.Backlog > options.SoakBacklog && time.GetElapsedTime(start) < duration)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
                }
            }
            var (accepted, rejected) = await stack.Herald.SubmitBatchAsync(Chunk(first, count), cancellationToken);
            lock (_lock)
            {
                foreach (var (index, id) in accepted)
                {
                    _ids[first + index] = id;
                }
                Accepted += accepted.Count;
            }
            Interlocked.Add(ref _rejected, rejected);
            monitor.AddExpected(accepted.Count);
        }
    }

    /// <summary>
    /// The warm-up (<see cref="BenchOptions.Warmup"/>): the same messages to numbers of their own, submitted and waited for
    /// until none is pending; then the simulator forgets them, so the run's counters start at zero. Returns the id of the last
    /// request the simulator logged during the warm-up (its request ids go on from there).
    /// </summary>
    public static async Task<long> WarmUpAsync(Stack stack, BenchOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        // Numbers from index 50,000,000 on: never a campaign's (a run has at most a few million).
        const int First = 50_000_000;
        for (var done = 0; done < options.Warmup; done += options.Chunk)
        {
            await stack.Herald.SubmitBatchAsync(Chunk(First + done, Math.Min(options.Chunk, options.Warmup - done)), cancellationToken);
        }
        var start = time.GetTimestamp();
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
            var stats = await stack.Sim.StatsAsync(cancellationToken);
            if (stats.DlrDelivered + stats.DlrFailed >= stats.DlrQueued && !await stack.Herald.AnyPendingAsync(cancellationToken))
            {
                break;
            }
            if (time.GetElapsedTime(start) > TimeSpan.FromMinutes(5))
            {
                throw new BenchException($"the {options.Warmup:N0} warm-up messages were not all final after 5 minutes");
            }
        }
        var last = (await stack.Sim.RequestsAsync(1, cancellationToken)).Select(r => r.Id).DefaultIfEmpty(0).Max();
        await stack.Sim.ClearAsync(cancellationToken);
        return last;
    }

    private static byte[] Chunk(int first, int count)
    {
        var buffer = new ArrayBufferWriter<byte>(count * 180);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("messages");
            for (var i = first; i < first + count; i++)
            {
                json.WriteStartObject();
                json.WriteString("to", Number(i));
                json.WriteString("body", Body);
                json.WriteString("templateId", TemplateId);
                // default, not mkt: the numbers are not contacts, so the send-path policy would skip mkt messages (no-consent).
                json.WriteString("type", "default");
                json.WriteString("sender", "KLRHXA");
                json.WriteString("provider", Stack.ProviderNickname);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>
/// Watches a run: the simulator's counters every 200 ms (sends, DLR callbacks Herald acknowledged), the
/// server's RSS, and, once everything is submitted, whether Herald still has a message in a non-final state
/// (four one-row list queries every 500 ms; two empty answers in a row mean done).
/// </summary>
internal sealed class Monitor(Stack stack, BenchOptions options, TimeProvider time)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);

    private long _expected;
    private long _sends;
    private long _start;
    private volatile bool _submissionDone;
    private double _sendRate;

    /// <summary>Messages accepted by the API so far (campaign and OTPs).</summary>
    public long Expected => Interlocked.Read(ref _expected);

    /// <summary>Messages the simulator accepted so far (connector: distinct message ids; Kaleyra: recipients).</summary>
    public long Sends => Interlocked.Read(ref _sends);

    /// <summary>Accepted by the API, not yet at the provider.</summary>
    public long Backlog => Expected - Sends;

    /// <summary>Provider sends per second over the last second or so (0 before the first).</summary>
    public double SendRate => Volatile.Read(ref _sendRate);

    public SimStats? LastStats { get; private set; }

    public TimeSpan? FirstSend { get; private set; }

    public TimeSpan? AllSent { get; private set; }

    public TimeSpan? FirstDlr { get; private set; }

    public TimeSpan? AllDlr { get; private set; }

    public TimeSpan? AllFinal { get; private set; }

    public TimeSpan Elapsed => time.GetElapsedTime(_start);

    public void Start(long timestamp) => _start = timestamp;

    public void AddExpected(long count) => Interlocked.Add(ref _expected, count);

    /// <summary>Every campaign message and OTP has been submitted (from here on, "no message pending" means done).</summary>
    public void SubmissionDone() => _submissionDone = true;

    /// <summary>Runs until every message is final (or the token ends the run).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var emptyChecks = 0;
        var firstEmpty = TimeSpan.Zero;
        var tick = 0;
        var lastPrint = TimeSpan.Zero;
        var history = new Queue<(TimeSpan At, long Sends)>();
        while (AllFinal is null)
        {
            await Task.Delay(Tick, time, cancellationToken);
            tick++;
            var now = Elapsed;
            try
            {
                var stats = await stack.Sim.StatsAsync(cancellationToken);
                LastStats = stats;
                var sends = options.Mode == BenchMode.Single ? stats.ByMessageId.Distinct : stats.KaleyraRecipients;
                Interlocked.Exchange(ref _sends, sends);
                history.Enqueue((now, sends));
                while (history.Count > 6)
                {
                    history.Dequeue();
                }
                var (oldAt, oldSends) = history.Peek();
                Volatile.Write(ref _sendRate, now > oldAt ? (sends - oldSends) / (now - oldAt).TotalSeconds : 0);
                var dlrsDone = stats.DlrDelivered + stats.DlrFailed;
                FirstSend ??= sends > 0 ? now : null;
                FirstDlr ??= dlrsDone > 0 ? now : null;
                if (_submissionDone && AllSent is null && sends >= Expected)
                {
                    AllSent = now;
                }
                if (AllSent is not null && AllDlr is null && dlrsDone >= stats.DlrQueued)
                {
                    AllDlr = now;
                }
            }
            catch (Exception ex) when (Transient.Is(ex, cancellationToken))
            {
                // the simulator is busy; next tick
            }
            stack.SampleRss();
            if (_submissionDone && tick % 2 == 0)
            {
                try
                {
                    if (await stack.Herald.AnyPendingAsync(cancellationToken))
                    {
                        emptyChecks = 0;
                    }
                    else if (++emptyChecks == 1)
                    {
                        firstEmpty = now;
                    }
                }
                catch (Exception ex) when (Transient.Is(ex, cancellationToken))
                {
                    emptyChecks = 0; // the server is down (chaos) or busy
                }
                if (emptyChecks >= 2)
                {
                    AllFinal = firstEmpty; // the first of two empty checks in a row
                }
            }
            if (now - lastPrint >= TimeSpan.FromSeconds(2))
            {
                lastPrint = now;
                var s = LastStats;
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{now.TotalSeconds,6:F1}s  submitted {Expected,8}  at provider {Sends,8} ({SendRate,6:F0}/s)  DLRs acked {s?.DlrDelivered ?? 0,8}  peak rss {stack.PeakRssBytes / 1048576.0,4:F0} MB{(stack.Restarts > 0 ? $"  restarts {stack.Restarts}" : "")}"));
            }
        }
    }
}

/// <summary>Failures a polling loop rides out: the server restarting (chaos), an error answer, a client timeout.</summary>
internal static class Transient
{
    public static bool Is(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException or BenchException or System.Text.Json.JsonException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);
}
