namespace Herald.Simulator.Scenarios;

/// <summary>
/// Special recipient numbers of the simulator, chosen by the last four digits of the digits-only <c>to</c>
/// (so <c>+91 98765 40001</c>, <c>919876540001</c> and <c>+15550000001</c> all mean "DND failure").
/// Every other number is accepted; with probability <see cref="SimulatorOptions.FailRate"/> its DLR is a
/// provider failure (connector <c>failed</c> 904 "System error", Kaleyra <c>Failed</c> <c>NO-CREDITS</c>),
/// otherwise <c>delivered</c> with probability <see cref="SimulatorOptions.DeliveryRate"/>, else an
/// operator-side failure: connector <c>failed</c> 914, 905, 910 or 912; Kaleyra <c>Undelivered</c>
/// <c>MOB-OFF</c> / <c>INVALID-SUB</c> or <c>Failed</c> <c>BLACKLIST</c> / <c>OPT-OUT</c>.
/// The special numbers ignore FailRate and DeliveryRate.
/// </summary>
/// <remarks>
/// <list type="table">
///   <listheader><term>ends in</term><description>behaviour</description></listheader>
///   <item><term>0001</term><description>200 accepted, then DLR <c>failed</c> 901 "DND Failure".</description></item>
///   <item><term>0002</term><description>503 <c>{"error":{"code":"unavailable"}}</c> with <c>Retry-After: 1</c> (transient).</description></item>
///   <item><term>0003</term><description>Hangs for <see cref="SimulatorOptions.TimeoutHang"/> (ends early if the caller aborts), then 504 <c>timeout</c>.</description></item>
///   <item><term>0004</term><description>400 <c>{"error":{"code":"invalid_number"}}</c> (permanent rejection).</description></item>
///   <item><term>0005</term><description>200 accepted, then DLR <c>failed</c> 916 "Expired".</description></item>
///   <item><term>0006</term><description>200 accepted, then DLR <c>failed</c> 908 "Template blocked by DLT".</description></item>
///   <item><term>0007</term><description>200 accepted, no DLR ever.</description></item>
///   <item><term>0008</term><description>200 accepted, then DLR <c>failed</c> 914 "Undelivered after retries".</description></item>
///   <item><term>0009</term><description>200 accepted, DLR <c>delivered</c> always (ignores DeliveryRate).</description></item>
///   <item><term>0429</term><description>429 <c>{"error":{"code":"rate_limited"}}</c> with <c>Retry-After: 2</c>.</description></item>
/// </list>
/// <code>
/// ends in | HTTP answer                               | DLR
/// --------+-------------------------------------------+------------------------------------
///   0001  | 200 accepted                              | failed 901 "DND Failure"
///   0002  | 503 unavailable, Retry-After: 1           | none
///   0003  | hangs TimeoutHang, then 504 timeout       | none
///   0004  | 400 invalid_number (permanent)            | none
///   0005  | 200 accepted                              | failed 916 "Expired"
///   0006  | 200 accepted                              | failed 908 "Template blocked by DLT"
///   0007  | 200 accepted                              | none, ever
///   0008  | 200 accepted                              | failed 914 "Undelivered after retries"
///   0009  | 200 accepted                              | delivered, always
///   0429  | 429 rate_limited, Retry-After: 2          | none
///   other | 200 accepted                              | delivered with DeliveryRate, else failed 914/905/910/912
/// </code>
/// On the Kaleyra face (<c>/v1/{sid}/sms</c>, several recipients per request) the request-level answers
/// (0002, 0003, 0004, 0429) apply to the whole request when any recipient matches (the first such recipient
/// decides), and the per-recipient callbacks are, after <c>Sent</c>:
/// <code>
/// ends in | Kaleyra final status (status / status_details)
/// --------+-----------------------------------------------
///   0001  | Failed / CON-DND
///   0002  | (whole request 503 E503, Retry-After: 1)
///   0003  | (whole request hangs TimeoutHang, then 504 E504)
///   0004  | (whole request 400 E400 naming the number, field "to")
///   0005  | Failed / EXPIRED
///   0006  | Failed / TEMPLATE-NOT-FOUND
///   0007  | none: no callback at all, not even Sent
///   0008  | Undelivered / MOB-OFF
///   0009  | Delivered / DELIVERED, always
///   0429  | (whole request 429 E429, Retry-After: 2)
/// </code>
/// </remarks>
public static class SimulatorScenarios
{
    /// <summary>Accepted, then DLR <c>failed</c> 901 "DND Failure".</summary>
    public const string DndFailure = "0001";

    /// <summary>Answers 503 with <c>Retry-After: 1</c>.</summary>
    public const string Unavailable = "0002";

    /// <summary>Hangs for <see cref="SimulatorOptions.TimeoutHang"/>, then answers 504.</summary>
    public const string Timeout = "0003";

    /// <summary>Answers 400 <c>invalid_number</c>.</summary>
    public const string InvalidNumber = "0004";

    /// <summary>Accepted, then DLR <c>failed</c> 916 "Expired".</summary>
    public const string Expired = "0005";

    /// <summary>Accepted, then DLR <c>failed</c> 908 "Template blocked by DLT".</summary>
    public const string TemplateBlocked = "0006";

    /// <summary>Accepted, no DLR ever.</summary>
    public const string NoDlr = "0007";

    /// <summary>Accepted, then DLR <c>failed</c> 914 (Kaleyra: <c>Undelivered</c> <c>MOB-OFF</c>).</summary>
    public const string Undelivered = "0008";

    /// <summary>Accepted, DLR <c>delivered</c> regardless of <see cref="SimulatorOptions.DeliveryRate"/>.</summary>
    public const string AlwaysDelivered = "0009";

    /// <summary>Answers 429 with <c>Retry-After: 2</c>.</summary>
    public const string RateLimited = "0429";
}
