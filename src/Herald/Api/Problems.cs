using System.Reflection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Herald.Api;

/// <summary>RFC 7807 answers that say what to fix, typed so that an endpoint's signature describes them (OpenAPI).</summary>
internal static class Problems
{
    public static NotFoundProblem NotFound(string what) => new(what);

    public static ConflictProblem Conflict(string title, string detail) => new(title, detail);

    public static ValidationProblem BadRequest(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, detail: message, title: "The request has invalid fields");

    public static ValidationProblem Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors.ToDictionary(e => e.Key, e => e.Value),
            detail: string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))),
            title: "The request has invalid fields");
}

/// <summary>
/// A problem details answer with one fixed status. Unlike <see cref="ProblemHttpResult"/> each subclass declares its
/// status and body in the endpoint's metadata, so <c>Results&lt;Ok&lt;T&gt;, NotFoundProblem&gt;</c> documents the 404.
/// </summary>
internal abstract class StatusProblem(int status, string title, string detail)
    : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ProblemDetails>, IContentTypeHttpResult
{
    private readonly ProblemHttpResult _inner = TypedResults.Problem(statusCode: status, title: title, detail: detail);

    /// <summary>The problem details written.</summary>
    public ProblemDetails Value => _inner.ProblemDetails;

    object? IValueHttpResult.Value => Value;

    /// <inheritdoc/>
    public int? StatusCode => _inner.StatusCode;

    /// <inheritdoc/>
    public string? ContentType => _inner.ContentType;

    /// <inheritdoc/>
    public Task ExecuteAsync(HttpContext httpContext) => _inner.ExecuteAsync(httpContext);

    protected static void Describe(int status, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"]));
}

/// <summary>404 with a detail that names what was looked for.</summary>
internal sealed class NotFoundProblem(string detail) : StatusProblem(StatusCodes.Status404NotFound, "Not found", detail), IEndpointMetadataProvider
{
    /// <inheritdoc/>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(StatusCodes.Status404NotFound, builder);
}

/// <summary>403: the request is not from whom it claims (a provider callback whose signature does not match).</summary>
internal sealed class ForbiddenProblem(string detail) : StatusProblem(StatusCodes.Status403Forbidden, "Forbidden", detail), IEndpointMetadataProvider
{
    /// <inheritdoc/>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(StatusCodes.Status403Forbidden, builder);
}

/// <summary>409: the request is valid but the current state refuses it.</summary>
internal sealed class ConflictProblem(string title, string detail) : StatusProblem(StatusCodes.Status409Conflict, title, detail), IEndpointMetadataProvider
{
    /// <inheritdoc/>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(StatusCodes.Status409Conflict, builder);
}

/// <summary>413: the body is over the endpoint's limit.</summary>
internal sealed class TooLargeProblem(string detail) : StatusProblem(StatusCodes.Status413PayloadTooLarge, "Payload too large", detail), IEndpointMetadataProvider
{
    /// <inheritdoc/>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(StatusCodes.Status413PayloadTooLarge, builder);
}

/// <summary>503: try again later (the server is stopping, or the database did not take the write).</summary>
internal sealed class UnavailableProblem(string title, string detail) : StatusProblem(StatusCodes.Status503ServiceUnavailable, title, detail), IEndpointMetadataProvider
{
    /// <inheritdoc/>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Describe(StatusCodes.Status503ServiceUnavailable, builder);
}

/// <summary><c>{"items": [...]}</c>: a whole list.</summary>
/// <param name="Items">The entries.</param>
public sealed record ItemList<T>(IReadOnlyList<T> Items);

/// <summary><c>{"items": [...], "next": "..."}</c>: one page of a list; pass <c>next</c> as <c>cursor</c> for the following page (absent on the last).</summary>
/// <param name="Items">The entries on this page.</param>
/// <param name="Next">The cursor of the next page; absent on the last page.</param>
public sealed record ItemPage<T>(IReadOnlyList<T> Items, string? Next);
