using Microsoft.Extensions.Options;

namespace Herald.Dispatch;

/// <summary>How the dispatcher works (<c>Herald:Dispatch</c>).</summary>
public sealed class DispatchOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Dispatch";

    /// <summary>Run the dispatcher on this node. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How many messages a worker claims at once. Default 200.</summary>
    public int ClaimBatchSize { get; set; } = 200;

    /// <summary>Workers on this node that each claim, send and record a batch, overlapping one another. Default 4.</summary>
    public int Workers { get; set; } = 4;

    /// <summary>One more worker that claims only OTPs, so they never wait for a worker busy with a campaign. Default true.</summary>
    public bool ExpressWorker { get; set; } = true;

    /// <summary>
    /// With rate-limited providers, a claim holds what they can take in this long (shared by the workers), so a new OTP
    /// waits about this long at most behind messages already claimed. Default 100 ms.
    /// </summary>
    public TimeSpan ClaimWindow { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How many sends run at once on this node, over all workers. Default 64.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>
    /// A provider without its own in-flight cap gets one sized from its observed rate × median latency × <see cref="AdaptiveInFlightHeadroom"/>,
    /// never below this (nor above <see cref="MaxConcurrency"/>). Default 16.
    /// </summary>
    public int AdaptiveInFlightMin { get; set; } = 16;

    /// <summary>How far above rate × latency a provider's in-flight cap sits, so it can grow while the cap is the bound. Default 2.</summary>
    public double AdaptiveInFlightHeadroom { get; set; } = 2.0;

    /// <summary>How long a claim holds a message; after it, another worker may resend it. Default 2 min.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a message whose lease expired (its worker died between the send and recording the answer) waits for a delivery
    /// report before it is resent. The send may have reached the provider: a report naming it in this time (the provider
    /// retries callbacks that failed while Herald was down) settles it and it is never resent. Counted from when the expiry is
    /// found (after a crash: the restart). Longer than the provider's callback retries. 0 resends at once. Default 60 s.
    /// </summary>
    public TimeSpan InDoubtHold { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often an idle dispatcher looks for due messages (new messages wake it at once). Default 500 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often expired leases (crashed workers) are returned to the queue. Default 15 s.</summary>
    public TimeSpan LeaseSweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>First retry delay after a transient failure; doubles each attempt. Default 5 s.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest retry delay. Default 10 min.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Random spread added to each retry delay, as a share of it (0 to 1). Default 0.2.</summary>
    public double RetryJitter { get; set; } = 0.2;

    /// <summary>Transient failures in a row that open a provider's circuit (its messages wait instead of being sent). Default 5.</summary>
    public int CircuitBreakerThreshold { get; set; } = 5;

    /// <summary>How long an open circuit stays open before one probe message is let through. Default 30 s.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long other messages wait while a half-open circuit's probe is out. Default 1 s.</summary>
    public TimeSpan CircuitProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an OTP is worth sending when the caller gives no validity. Default 10 min.</summary>
    public TimeSpan OtpValidity { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long any other message is worth sending when the caller gives no validity. Default 24 h.</summary>
    public TimeSpan DefaultValidity { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// A successful send keeps its full request and answer (headers and bodies) on the timeline for one in this many messages;
    /// the others keep the method, URL, status and time, with the provider's id. Failures and Send Test SMS always keep them.
    /// The same sample applies to raw delivery-report callbacks: one plain successful callback in this many is kept (with its body
    /// on the timeline); the others are applied and not kept. Callbacks that were not applied cleanly and those of test SMS are always
    /// kept. 1 = every one, 0 = none. Default 100.
    /// </summary>
    public int KeepSuccessBodiesOneIn { get; set; } = 100;
}

internal sealed class DispatchOptionsValidator : IValidateOptions<DispatchOptions>
{
    public ValidateOptionsResult Validate(string? name, DispatchOptions o)
    {
        var failures = new List<string>();
        if (o.ClaimBatchSize is < 1 or > 5000)
        {
            failures.Add("Herald:Dispatch:ClaimBatchSize must be between 1 and 5000.");
        }
        if (o.Workers is < 1 or > 64)
        {
            failures.Add("Herald:Dispatch:Workers must be between 1 and 64.");
        }
        if (o.ClaimWindow <= TimeSpan.Zero)
        {
            failures.Add("Herald:Dispatch:ClaimWindow must be positive.");
        }
        if (o.MaxConcurrency is < 1 or > 4096)
        {
            failures.Add("Herald:Dispatch:MaxConcurrency must be between 1 and 4096.");
        }
        if (o.AdaptiveInFlightMin < 1 || o.AdaptiveInFlightHeadroom is < 1.1 or > 16 || double.IsNaN(o.AdaptiveInFlightHeadroom))
        {
            failures.Add("Herald:Dispatch:AdaptiveInFlightMin must be at least 1 and AdaptiveInFlightHeadroom between 1.1 and 16.");
        }
        if (o.Lease < TimeSpan.FromSeconds(5))
        {
            failures.Add("Herald:Dispatch:Lease must be at least 5 seconds (longer than the slowest provider call).");
        }
        if (o.InDoubtHold < TimeSpan.Zero || o.InDoubtHold > TimeSpan.FromHours(24))
        {
            failures.Add("Herald:Dispatch:InDoubtHold must be between 00:00:00 (resend at once) and 1.00:00:00; give it longer than your provider's delivery-report retries (e.g. 00:01:00).");
        }
        if (o.PollInterval <= TimeSpan.Zero || o.LeaseSweepInterval <= TimeSpan.Zero)
        {
            failures.Add("Herald:Dispatch:PollInterval and LeaseSweepInterval must be positive.");
        }
        if (o.RetryBaseDelay <= TimeSpan.Zero || o.RetryMaxDelay < o.RetryBaseDelay)
        {
            failures.Add("Herald:Dispatch:RetryBaseDelay must be positive and RetryMaxDelay at least as long.");
        }
        if (o.RetryJitter is < 0 or > 1)
        {
            failures.Add("Herald:Dispatch:RetryJitter must be between 0 and 1.");
        }
        if (o.CircuitBreakerThreshold < 1 || o.CircuitBreakDuration <= TimeSpan.Zero || o.CircuitProbeInterval <= TimeSpan.Zero)
        {
            failures.Add("Herald:Dispatch:CircuitBreakerThreshold must be at least 1, CircuitBreakDuration and CircuitProbeInterval positive.");
        }
        if (o.KeepSuccessBodiesOneIn < 0)
        {
            failures.Add("Herald:Dispatch:KeepSuccessBodiesOneIn must be 0 (never) or more (1 = every successful send keeps its bodies).");
        }
        if (o.OtpValidity <= TimeSpan.Zero || o.DefaultValidity <= TimeSpan.Zero)
        {
            failures.Add("Herald:Dispatch:OtpValidity and DefaultValidity must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
