namespace Herald.Simulator.Callbacks;

/// <summary>
/// The HTTP request a callback is delivered as, identical on every attempt: the method, the full URL
/// (a GET callback carries its fields in the query), an optional body with its content type, and extra
/// request headers.
/// </summary>
internal sealed record CallbackRequest(
    HttpMethod Method,
    Uri Url,
    byte[]? Body,
    string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null)
{
    public const string Json = "application/json";
    public const string Form = "application/x-www-form-urlencoded";

    /// <summary>A JSON POST without extra headers (the CleverTap-format DLR).</summary>
    public static CallbackRequest PostJson(Uri url, byte[] body) => new(HttpMethod.Post, url, body, Json);
}
