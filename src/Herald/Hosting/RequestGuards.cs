using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Herald.Hosting;

/// <summary>
/// Middleware that keeps hostile requests from reaching the endpoints as errors: unknown charsets answered 415, bodies
/// that cannot be read answered 4xx and logged at debug without a stack trace (a flood of them must not flood the log),
/// <c>/metrics</c> behind its key when one is set, and client addresses from trusted proxies only.
/// </summary>
internal static partial class RequestGuards
{
    /// <summary>Forwarded headers (client address, https) from the proxies in <c>Herald:TrustedProxies</c> only.</summary>
    public static void UseTrustedProxies(this WebApplication app, HeraldOptions options)
    {
        if (options.TrustedProxies.Count == 0)
        {
            return;
        }
        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
            ForwardLimit = 1,
        };
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var entry in options.TrustedProxies)
        {
            if (Providers.Http.OutboundAddresses.TryParseNetwork(entry, out var network))
            {
                forwarded.KnownIPNetworks.Add(network);
            }
        }
        app.UseForwardedHeaders(forwarded);
    }

    /// <summary>415 for a body whose charset Herald cannot decode, 4xx for one it cannot read; logged at debug.</summary>
    public static void UseRequestGuards(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Herald.Requests");
        app.Use(async (context, next) =>
        {
            if (context.Request.ContentType is { } contentType && MediaTypeHeaderValue.TryParse(contentType, out var media)
                && media.Charset.HasValue && !IsKnownCharset(media.Charset.Value!))
            {
                LogRefused(logger, context.Request.Method, context.Request.Path, 415, $"unknown charset '{media.Charset}'");
                await WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported charset",
                    $"The charset '{Printable(media.Charset.Value!)}' of the Content-Type is not one Herald reads: send UTF-8 (Content-Type: {media.MediaType}; charset=utf-8).");
                return;
            }
            if (HttpMethods.IsPost(context.Request.Method) && ReadsForm(context.GetEndpoint()) && !context.Request.HasFormContentType)
            {
                LogRefused(logger, context.Request.Method, context.Request.Path, 415, $"not a form: '{context.Request.ContentType}'");
                await WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                    "This endpoint takes a form: send Content-Type: application/x-www-form-urlencoded (or multipart/form-data).");
                return;
            }
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException ex) when (!context.Response.HasStarted && ex.StatusCode != StatusCodes.Status413PayloadTooLarge)
            {
                LogRefused(logger, context.Request.Method, context.Request.Path, ex.StatusCode, ex.InnerException?.Message ?? ex.Message);
                await WriteAsync(context, ex.StatusCode, "The request could not be read", HeraldServer.Explain(ex));
            }
            catch (IOException ex) when (!context.Response.HasStarted && context.Request.HasFormContentType && !context.RequestAborted.IsCancellationRequested)
            {
                // A multipart body that ends before its closing boundary.
                LogRefused(logger, context.Request.Method, context.Request.Path, 400, ex.Message);
                await WriteAsync(context, StatusCodes.Status400BadRequest, "The form could not be read",
                    "The multipart body ended before its closing boundary: send the whole form.");
            }
            catch (InvalidDataException ex) when (!context.Response.HasStarted && context.Request.HasFormContentType)
            {
                // The form reader's refusals: over FormOptions' limits (1,024 fields, …), a NUL, a broken multipart body.
                LogRefused(logger, context.Request.Method, context.Request.Path, 400, ex.Message);
                await WriteAsync(context, StatusCodes.Status400BadRequest, "The form could not be read",
                    $"{ex.Message} Send at most 1,024 fields, without NUL characters.");
            }
        });
    }

    /// <summary>
    /// With <c>Herald:Metrics:Urls</c>, <c>/metrics</c> is answered on the metrics listener only and nothing else is (both 404
    /// elsewhere; the listener is known by the port the connection came in on, not by the Host header, which a client chooses).
    /// Before routing, so that no endpoint (not even a short-circuited one) answers on the wrong listener.
    /// </summary>
    public static void UseMetricsListener(this WebApplication app)
    {
        var ports = app.Services.GetRequiredService<IOptions<HeraldOptions>>().Value.Metrics.Ports;
        if (ports.Count > 0)
        {
            app.Use(async (context, next) =>
            {
                var onMetricsListener = ports.Contains(context.Connection.LocalPort);
                if (onMetricsListener != context.Request.Path.StartsWithSegments("/metrics"))
                {
                    await WriteAsync(context, StatusCodes.Status404NotFound, "Not found", onMetricsListener
                        ? "This listener (Herald:Metrics:Urls) serves /metrics only."
                        : "/metrics is served on its own listener (Herald:Metrics:Urls), not on this one.");
                    return;
                }
                await next(context);
            });
        }
    }

    /// <summary>When <c>Herald:Metrics:Key</c> is set, <c>/metrics</c> needs <c>Authorization: Bearer &lt;key&gt;</c>.</summary>
    public static void UseMetricsKey(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/metrics"), branch => branch.Use(async (context, next) =>
        {
            var key = context.RequestServices.GetRequiredService<IOptions<HeraldOptions>>().Value.Metrics.Key;
            if (string.IsNullOrEmpty(key))
            {
                await next(context);
                return;
            }
            var given = context.Request.Headers.Authorization.ToString();
            var expected = "Bearer " + key;
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected)))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await WriteAsync(context, StatusCodes.Status401Unauthorized, "Metrics need a key",
                    "Send Authorization: Bearer <Herald:Metrics:Key> (Prometheus: authorization.credentials in the scrape config).");
                return;
            }
            await next(context);
        }));
    }

    /// <summary>Dashboard pages (their forms post back to them) and endpoints that declare they accept only forms.</summary>
    private static bool ReadsForm(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null
        || endpoint?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is { ContentTypes.Count: > 0 } accepts
            && accepts.ContentTypes.All(t => t is "application/x-www-form-urlencoded" or "multipart/form-data");

    private static bool IsKnownCharset(string charset)
    {
        try
        {
            _ = Encoding.GetEncoding(charset.Trim('"'));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string Printable(string value)
    {
        return new string(value.Where(c => !char.IsControl(c)).Take(40).ToArray());
    }

    private static Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Path} answered {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, int status, string reason);
}
