using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Herald.Core.DeliveryReports;
using Microsoft.Extensions.Options;

namespace Herald.Api.PublicLimits;

/// <summary>
/// Rate limits of the public callback endpoints (<c>Herald:PublicEndpoints</c>; env <c>Herald__PublicEndpoints__*</c>):
/// <c>/dlr</c> and the connector's callbacks, and the inbound and link endpoints as they land. Defaults leave room for the
/// benchmark (about 2,500 callbacks/s from one address).
/// </summary>
public sealed class PublicEndpointOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:PublicEndpoints";

    /// <summary>Callbacks per second one client address may make, summed over every public endpoint. Default 5,000.</summary>
    public int PerClientIpPerSecond { get; set; } = 5_000;

    /// <summary>Callbacks per second one provider's callback URL takes (after its token is checked). Default 5,000.</summary>
    public int PerProviderPerSecond { get; set; } = 5_000;

    /// <summary>How many seconds' worth of callbacks may arrive at once above the rate (the bucket's depth). Default 2.</summary>
    public int BurstSeconds { get; set; } = 2;

    /// <summary>
    /// Reports expected back per message a provider accepted. Up to this many callbacks per accepted message pass its callback
    /// URL without counting against either limit above, so reports come back at the rate Herald sends, however fast that is:
    /// a provider that gives up after its retries would otherwise lose them. Kaleyra sends two per message (sent, then
    /// delivered). A wrong token is always limited. Default 4; 0 holds every callback to the limits.
    /// </summary>
    public int ExpectedReportsPerMessage { get; set; } = 4;
}

internal sealed class PublicEndpointOptionsValidator : IValidateOptions<PublicEndpointOptions>
{
    public ValidateOptionsResult Validate(string? name, PublicEndpointOptions options)
    {
        var failures = new List<string>();
        if (options.PerClientIpPerSecond is < 1 or > 1_000_000)
        {
            failures.Add("Herald:PublicEndpoints:PerClientIpPerSecond must be between 1 and 1000000.");
        }
        if (options.PerProviderPerSecond is < 1 or > 1_000_000)
        {
            failures.Add("Herald:PublicEndpoints:PerProviderPerSecond must be between 1 and 1000000.");
        }
        if (options.ExpectedReportsPerMessage is < 0 or > 100)
        {
            failures.Add("Herald:PublicEndpoints:ExpectedReportsPerMessage must be between 0 and 100 (0 holds every callback to the limits).");
        }
        if (options.BurstSeconds is < 1 or > 60)
        {
            failures.Add("Herald:PublicEndpoints:BurstSeconds must be between 1 and 60.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Token buckets per client address and per provider (System.Threading.RateLimiting, the library behind ASP.NET Core's
/// rate limiter). Called by the endpoints themselves rather than as middleware: <c>/dlr</c> is short-circuited at routing,
/// and the check must come before a report is stored, never after it was acknowledged. Reports Herald expects (see
/// <see cref="PublicEndpointOptions.ExpectedReportsPerMessage"/>) pass without counting against either bucket.
/// </summary>
internal sealed class PublicEndpointLimiter : IReportExpectations, IDisposable
{
    /// <summary>The most reports one provider may have expected at once (its oldest sends' reports may never come).</summary>
    private const long MostExpected = 10_000_000;

    private readonly PartitionedRateLimiter<string> _perAddress;
    private readonly PartitionedRateLimiter<string> _perProvider;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _expected = new(StringComparer.Ordinal);
    private readonly int _expectedPerMessage;

    public PublicEndpointLimiter(IOptions<PublicEndpointOptions> options)
    {
        var o = options.Value;
        _expectedPerMessage = o.ExpectedReportsPerMessage;
        _perAddress = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(o.PerClientIpPerSecond, o.BurstSeconds)));
        _perProvider = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(o.PerProviderPerSecond, o.BurstSeconds)));
    }

    /// <summary>Null when <paramref name="context"/>'s client may go on; otherwise a 429 with Retry-After.</summary>
    public IResult? CheckClient(HttpContext context) =>
        Check(_perAddress, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", context, "this address");

    /// <summary>Null when the callback URL of <paramref name="providerId"/> may take one more; otherwise a 429 with Retry-After.</summary>
    public IResult? CheckProvider(string providerId, HttpContext context) => Check(_perProvider, providerId, context, "this callback URL");

    /// <summary>
    /// Null when the report callback of <paramref name="providerId"/> (its token checked) may go on: an expected report passes,
    /// any other is held to <see cref="CheckProvider"/>.
    /// </summary>
    public IResult? CheckReport(string providerId, HttpContext context) => TakeExpected(providerId) ? null : CheckProvider(providerId, context);

    /// <summary>
    /// Whether <paramref name="providerId"/> has reports expected: its callbacks skip the per-address check before their token is
    /// checked (they come from the provider's few addresses at the rate Herald sent). A wrong token is then checked as usual.
    /// </summary>
    public bool Expects(string providerId) => _expected.TryGetValue(providerId, out var expected) && Volatile.Read(ref expected.Value) > 0;

    /// <inheritdoc />
    public void Accepted(string providerId, int messages)
    {
        if (_expectedPerMessage == 0 || messages <= 0)
        {
            return;
        }
        var expected = _expected.GetOrAdd(providerId, static _ => new StrongBox<long>());
        long current;
        do
        {
            current = Volatile.Read(ref expected.Value);
        }
        while (Interlocked.CompareExchange(ref expected.Value, Math.Min(MostExpected, current + ((long)messages * _expectedPerMessage)), current) != current);
    }

    private bool TakeExpected(string providerId)
    {
        if (!_expected.TryGetValue(providerId, out var expected))
        {
            return false;
        }
        long current;
        do
        {
            current = Volatile.Read(ref expected.Value);
            if (current <= 0)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref expected.Value, current - 1, current) != current);
        return true;
    }

    private static IResult? Check(PartitionedRateLimiter<string> limiter, string key, HttpContext context, string who)
    {
        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired)
        {
            return null;
        }
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many callbacks",
            detail: $"{char.ToUpperInvariant(who[0])}{who[1..]} sends more callbacks than Herald takes (Herald:PublicEndpoints): nothing was stored, send it again after {seconds} s.");
    }

    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burstSeconds) => new()
    {
        TokenLimit = perSecond * burstSeconds,
        TokensPerPeriod = Math.Max(1, perSecond / 10),
        ReplenishmentPeriod = TimeSpan.FromMilliseconds(perSecond >= 10 ? 100 : 1000.0 / perSecond * Math.Max(1, perSecond / 10)),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    public void Dispose()
    {
        _perAddress.Dispose();
        _perProvider.Dispose();
    }
}
