using System.Threading.RateLimiting;
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
/// and the check must come before a report is stored, never after it was acknowledged.
/// </summary>
internal sealed class PublicEndpointLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _perAddress;
    private readonly PartitionedRateLimiter<string> _perProvider;

    public PublicEndpointLimiter(IOptions<PublicEndpointOptions> options)
    {
        var o = options.Value;
        _perAddress = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(o.PerClientIpPerSecond, o.BurstSeconds)));
        _perProvider = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(o.PerProviderPerSecond, o.BurstSeconds)));
    }

    /// <summary>Null when <paramref name="context"/>'s client may go on; otherwise a 429 with Retry-After.</summary>
    public IResult? CheckClient(HttpContext context) =>
        Check(_perAddress, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", context, "this address");

    /// <summary>Null when the callback URL of <paramref name="providerId"/> may take one more; otherwise a 429 with Retry-After.</summary>
    public IResult? CheckProvider(string providerId, HttpContext context) => Check(_perProvider, providerId, context, "this callback URL");

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
