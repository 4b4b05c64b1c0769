using System.Globalization;
using System.Security.Claims;
using System.Text;
using Herald.Security;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Api.Audit;

/// <summary>
/// An answer that describes itself for the audit log: the id it concerns and a summary that holds no secret (a provider's
/// nickname and kind, a key's name and scope; never settings, headers or a key).
/// </summary>
public interface IAudited
{
    /// <summary>A short description without secrets.</summary>
    string AuditSummary { get; }
}

/// <summary>The action an admin route writes to the audit log (e.g. <c>provider.update</c>): endpoint metadata.</summary>
public sealed record AuditActionMetadata(string Action);

/// <summary>
/// Writes the audit log: the one place an admin change is recorded, from the API's endpoint filter
/// (<see cref="AuditFilter"/>) and from the dashboard's actions alike. Who comes from the request's user (an API key
/// or a dashboard user), from where from its client address.
/// </summary>
internal sealed class AuditTrail(IAuditStore store, TimeProvider time)
{
    public const int MaxSummaryLength = 500;

    /// <summary>
    /// Records a change made by the request's user (or by <paramref name="actor"/>, a dashboard user's id and name, when the request
    /// is not signed in yet: the first admin made at setup).
    /// </summary>
    public Task RecordAsync(HttpContext context, string action, string? targetId, string summary, CancellationToken cancellationToken,
        (string Id, string Name)? actor = null)
    {
        var user = context.User;
        var (kind, id, name) = actor is { } given ? ("user", given.Id, given.Name)
            : ApiCaller.From(user) is { } caller
            ? ("key", caller.KeyId, user.FindFirstValue(ClaimTypes.Name))
            : ("user", user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous", user.FindFirstValue(ClaimTypes.Name));
        return store.AppendAsync(new AuditRecord
        {
            At = time.GetUtcNow(),
            ActorKind = kind,
            ActorId = id,
            ActorName = name,
            Action = action,
            TargetId = targetId is null ? null : Clean(targetId, 200),
            Summary = Clean(summary, MaxSummaryLength),
            ClientIp = context.Connection.RemoteIpAddress?.ToString(),
        }, cancellationToken);
    }

    // One line of printable text: control characters (a CR in a name) are escaped, long text is cut.
    private static string Clean(string text, int max)
    {
        var builder = new StringBuilder(Math.Min(text.Length, max));
        foreach (var c in text)
        {
            if (builder.Length >= max)
            {
                builder.Append('…');
                break;
            }
            if (char.IsControl(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}

/// <summary>
/// On every admin route that changes something: after a successful answer (2xx), writes who did what to which id. The
/// summary comes from the answer when it describes itself (<see cref="IAudited"/>), otherwise from the route's summary;
/// the request body is never read, so no secret it holds can reach the log.
/// </summary>
internal sealed class AuditFilter(AuditTrail trail) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var http = context.HttpContext;
        var action = http.GetEndpoint()?.Metadata.GetMetadata<AuditActionMetadata>()?.Action;
        if (action is null)
        {
            return result;
        }
        var inner = result;
        while (inner is INestedHttpResult nested)
        {
            inner = nested.Result;
        }
        var status = (inner as IStatusCodeHttpResult)?.StatusCode ?? http.Response.StatusCode;
        if (status is < 200 or > 299)
        {
            return result;
        }
        var value = (inner as IValueHttpResult)?.Value;
        var target = IdOf(value) ?? (http.Request.RouteValues.TryGetValue("id", out var id) ? Convert.ToString(id, CultureInfo.InvariantCulture) : null);
        var described = value as IAudited;
        var summary = described?.AuditSummary
            ?? http.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IEndpointSummaryMetadata>()?.Summary
            ?? action;
        if (described is null && value is not null && AuditCounts.Of(value) is { } counts)
        {
            summary = $"{summary}: {counts}";
        }
        await trail.RecordAsync(http, action, target, summary, http.RequestAborted);
        return result;
    }

    private static string? IdOf(object? value) => value?.GetType().GetProperty("Id")?.GetValue(value) as string;
}

/// <summary>Counts an answer reports (e.g. how many messages a bulk retry requeued), for the summary of a change without a target.</summary>
internal static class AuditCounts
{
    public static string? Of(object value)
    {
        var parts = value.GetType().GetProperties()
            .Where(p => p.PropertyType == typeof(int) || p.PropertyType == typeof(long))
            .Select(p => $"{char.ToLowerInvariant(p.Name[0])}{p.Name[1..]} {Convert.ToString(p.GetValue(value), CultureInfo.InvariantCulture)}")
            .ToList();
        return parts.Count == 0 ? null : string.Join(", ", parts);
    }
}
