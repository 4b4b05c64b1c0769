using Microsoft.Extensions.Options;

namespace Herald.Simulator;

/// <summary>
/// Settings of the Kaleyra stand-in. Bound by <c>herald simulate</c>, used in-process by
/// <c>herald serve --sandbox</c> and by tests. Call <see cref="Validate"/> before use
/// (<see cref="SimulatorHost.StartAsync"/> and <c>AddHeraldSimulator</c> do).
/// </summary>
public sealed class SimulatorOptions
{
    /// <summary>Largest accepted <see cref="RequestLogCapacity"/>.</summary>
    public const int MaxRequestLogCapacity = 1_000_000;

    /// <summary>Largest accepted <see cref="DlrRetryCount"/> (and Kaleyra <c>callback.retry.count</c>).</summary>
    public const int MaxDlrRetryCount = 30;

    /// <summary>Largest accepted <see cref="RateLimit"/>.</summary>
    public const int MaxRateLimit = 10_000_000;

    /// <summary>Largest accepted <see cref="KaleyraRetryIntervalScale"/>.</summary>
    public const double MaxKaleyraRetryIntervalScale = 1000;

    /// <summary>';'-separated listen URLs (http or https); port 0 binds a free port.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:9090";

    /// <summary>Value the <c>api-key</c> header must carry.</summary>
    public string ApiKey { get; set; } = "sim-api-key";

    /// <summary>
    /// Value the <c>sid</c> header must carry (connector face), and the account SID in the Kaleyra face's paths
    /// (<c>/v1/{sid}/sms</c>).
    /// </summary>
    public string Sid { get; set; } = "SIM0000001";

    /// <summary>The Twilio face's Account SID: the Basic auth user and the account in its paths. Default <c>AC</c> and 32 hex digits.</summary>
    public string TwilioAccountSid { get; set; } = "AC00000000000000000000000000000001";

    /// <summary>The Twilio face's auth token: the Basic auth password, and the key it signs status callbacks with.</summary>
    public string TwilioAuthToken { get; set; } = "sim-twilio-auth-token";

    /// <summary>Mean delay between acceptance and the DLR callback; each delay is jittered ±50%.</summary>
    public TimeSpan DlrDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Probability (0..1) that an ordinary number is reported <c>delivered</c>.</summary>
    public double DeliveryRate { get; set; } = 0.95;

    /// <summary>How many times a DLR callback is retried after the first attempt fails transiently.</summary>
    public int DlrRetryCount { get; set; } = 5;

    /// <summary>Delay before the first DLR retry; doubles on each further retry.</summary>
    public TimeSpan DlrRetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the "…0003" number hangs before answering 504.</summary>
    public TimeSpan TimeoutHang { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Seed for every random choice (outcomes, jitter) when set, for reproducible runs.</summary>
    public int? Seed { get; set; }

    /// <summary>How many requests and DLR deliveries the inspection ring buffers keep; 0 keeps none.</summary>
    public int RequestLogCapacity { get; set; } = 1000;

    /// <summary>
    /// Multiplies every interval of a Kaleyra <c>callback.retry.interval</c> list (seconds), so tests can use
    /// tiny intervals (e.g. 0.001 turns "10" into 10 ms). 1 by default.
    /// </summary>
    public double KaleyraRetryIntervalScale { get; set; } = 1.0;

    /// <summary>
    /// Share (0..1) of accepted messages to ordinary numbers (not the special numbers) whose final delivery
    /// report is a failure, on both faces: connector <c>failed</c> 904, Kaleyra <c>Failed</c> / <c>NO-CREDITS</c>.
    /// Applied before <see cref="DeliveryRate"/>. 0 by default.
    /// </summary>
    public double FailRate { get; set; }

    /// <summary>
    /// Share (0..1) of send requests, on both faces, answered 503 with <c>Retry-After: 1</c> before any other
    /// check (simulated provider trouble). 0 by default.
    /// </summary>
    public double HttpErrorRate { get; set; }

    /// <summary>Delay added before answering each send request, on both faces. 0 by default.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Send requests per second (both faces together) above which requests are answered 429 with
    /// <c>Retry-After: 1</c> (a fixed one-second window). 0, the default, means unlimited.
    /// </summary>
    public int RateLimit { get; set; }

    /// <summary>
    /// Checks every setting and throws <see cref="OptionsValidationException"/> listing each bad one by name.
    /// </summary>
    public void Validate()
    {
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(Urls))
        {
            failures.Add($"{nameof(Urls)} must contain at least one URL.");
        }
        else
        {
            foreach (var url in SplitUrls(Urls))
            {
                if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
                    && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
                {
                    failures.Add($"{nameof(Urls)} entry '{url}' must start with http:// or https://.");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            failures.Add($"{nameof(ApiKey)} must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(Sid))
        {
            failures.Add($"{nameof(Sid)} must not be empty.");
        }

        if (string.IsNullOrWhiteSpace(TwilioAccountSid) || TwilioAccountSid.Any(c => !char.IsAsciiLetterOrDigit(c)))
        {
            failures.Add($"{nameof(TwilioAccountSid)} must be letters and digits (Twilio's are AC and 32 hex digits).");
        }

        if (string.IsNullOrWhiteSpace(TwilioAuthToken))
        {
            failures.Add($"{nameof(TwilioAuthToken)} must not be empty.");
        }

        if (DlrDelay < TimeSpan.Zero || DlrDelay > TimeSpan.FromDays(1))
        {
            failures.Add($"{nameof(DlrDelay)} must be between 0 and 1 day (was {DlrDelay}).");
        }

        if (double.IsNaN(DeliveryRate) || DeliveryRate < 0 || DeliveryRate > 1)
        {
            failures.Add($"{nameof(DeliveryRate)} must be between 0 and 1 (was {DeliveryRate}).");
        }

        if (DlrRetryCount < 0 || DlrRetryCount > MaxDlrRetryCount)
        {
            failures.Add($"{nameof(DlrRetryCount)} must be between 0 and {MaxDlrRetryCount} (was {DlrRetryCount}).");
        }

        if (DlrRetryBaseDelay < TimeSpan.Zero || DlrRetryBaseDelay > TimeSpan.FromHours(1))
        {
            failures.Add($"{nameof(DlrRetryBaseDelay)} must be between 0 and 1 hour (was {DlrRetryBaseDelay}).");
        }

        if (TimeoutHang < TimeSpan.Zero || TimeoutHang > TimeSpan.FromHours(1))
        {
            failures.Add($"{nameof(TimeoutHang)} must be between 0 and 1 hour (was {TimeoutHang}).");
        }

        if (RequestLogCapacity < 0 || RequestLogCapacity > MaxRequestLogCapacity)
        {
            failures.Add($"{nameof(RequestLogCapacity)} must be between 0 and {MaxRequestLogCapacity} (was {RequestLogCapacity}).");
        }

        if (!double.IsFinite(KaleyraRetryIntervalScale) || KaleyraRetryIntervalScale < 0 || KaleyraRetryIntervalScale > MaxKaleyraRetryIntervalScale)
        {
            failures.Add($"{nameof(KaleyraRetryIntervalScale)} must be between 0 and {MaxKaleyraRetryIntervalScale} (was {KaleyraRetryIntervalScale}).");
        }

        if (double.IsNaN(FailRate) || FailRate < 0 || FailRate > 1)
        {
            failures.Add($"{nameof(FailRate)} must be between 0 and 1 (was {FailRate}).");
        }

        if (double.IsNaN(HttpErrorRate) || HttpErrorRate < 0 || HttpErrorRate > 1)
        {
            failures.Add($"{nameof(HttpErrorRate)} must be between 0 and 1 (was {HttpErrorRate}).");
        }

        if (Latency < TimeSpan.Zero || Latency > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{nameof(Latency)} must be between 0 and 10 minutes (was {Latency}).");
        }

        if (RateLimit < 0 || RateLimit > MaxRateLimit)
        {
            failures.Add($"{nameof(RateLimit)} must be between 0 (unlimited) and {MaxRateLimit} requests per second (was {RateLimit}).");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(SimulatorOptions), typeof(SimulatorOptions), failures);
        }
    }

    internal static string[] SplitUrls(string urls) =>
        urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    internal SimulatorOptions Clone() => (SimulatorOptions)MemberwiseClone();
}
