using Herald.Security;
using Herald.Core;
using System.Security.Cryptography;
using System.Text;
using Herald.Api.DeliveryReports;
using Herald.Api.PublicLimits;
using Herald.Dispatch.Outbox;
using Herald.Core.Messaging;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Api.Connect;

/// <summary>A connector message as the API shows it: what CleverTap asked, the relays and Kaleyra's raw callbacks.</summary>
public sealed record ConnectorMessageView(
    string MessageId,
    string ExternalId,
    string CallbackUrl,
    string KaleyraHost,
    DateTimeOffset CreatedAt,
    IReadOnlyList<RelayView> Relays,
    IReadOnlyList<ConnectorCallbackView> Callbacks);

/// <summary>One relay to the callback URL.</summary>
public sealed record RelayView(long Id, string Event, string Status, int Attempts, DateTimeOffset NextAttemptAt, string? LastError,
    System.Text.Json.JsonElement? Payload, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>One raw callback from Kaleyra.</summary>
public sealed record ConnectorCallbackView(long Id, DateTimeOffset ReceivedAt, string Method, string? ContentType, string Body, string Query,
    DateTimeOffset? ProcessedAt, string? Result);

/// <summary>
/// The seed's "HTTP Endpoint received from Kaleyra team", self-hosted:
/// <list type="bullet">
///   <item><c>POST /connect/kaleyra</c>: CleverTap's request (no Herald API key; optional Basic auth).</item>
///   <item><c>POST|GET /connect/kaleyra/callback/{messageId}.{token}</c>: Kaleyra's delivery callbacks; the token is the
///   credential. The raw callback is stored before it is acknowledged, and the relay it makes in the same step.</item>
///   <item><c>GET /api/v1/connector/kaleyra/messages/{id}</c> (API key): a connector message's relays and raw callbacks.</item>
/// </list>
/// </summary>
internal static class KaleyraConnectorEndpoints
{
    public static IServiceCollection AddKaleyraConnector(this IServiceCollection services)
    {
        services.AddSingleton<ConnectorSettings>();
        services.AddSingleton<KaleyraConnector>();
        services.AddSingleton<IReportHook, ConnectorReportHook>();
        services.AddSingleton<IOutboxTopic, CleverTapTopic>();
        return services;
    }

    public static IEndpointRouteBuilder MapKaleyraConnector(this IEndpointRouteBuilder app)
    {
        app.MapPost("/connect/kaleyra", async (HttpContext context, ConnectorSettings settings, KaleyraConnector connector, PublicEndpointLimiter limiter) =>
            !settings.Options.Enabled ? Disabled()
            : settings.LacksCredentials ? NoCredentials()
            : limiter.CheckClient(context) ?? await connector.HandleAsync(context)).AllowAnonymous().DisableAntiforgery()
            .DescribeConnectorSend();
        app.MapMethods("/connect/kaleyra/callback/{token}", [HttpMethods.Get, HttpMethods.Post], ReceiveCallback).AllowAnonymous().DisableAntiforgery()
            .DescribeConnectorCallback();
        app.MapGet("/api/v1/connector/kaleyra/messages/{id}", GetMessage).RequireScope(ApiAccess.Read)
            .DescribeConnectorMessage();
        return app;
    }

    private static NotFoundProblem Disabled() =>
        Problems.NotFound("The Kaleyra connector is switched off (Herald:Connector:Kaleyra:Enabled=false).");

    private static IResult NoCredentials() => Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "The Kaleyra connector has no credentials",
        detail: "The connector is switched on but refuses requests until it has credentials: set Herald:Connector:Kaleyra:Username and "
            + "Password (env Herald__Connector__Kaleyra__Username/__Password) and choose Basic Authentication with them in CleverTap's provider form, "
            + "or set Herald:Connector:Kaleyra:AllowAnonymous=true to accept requests without them (anyone who can reach Herald could then send SMS), "
            + "or Herald:Connector:Kaleyra:Enabled=false to switch it off.");

    private static async Task<IResult> ReceiveCallback(string token, HttpContext context, ConnectorSettings settings, IMessageStore messages,
        DlrIngest ingest, PublicEndpointLimiter limiter, TimeProvider time, CancellationToken ct)
    {
        // Limits first: a refused callback is not stored, so Kaleyra keeps it and sends it again.
        if (limiter.CheckClient(context) is { } tooMany)
        {
            return tooMany;
        }
        if (!settings.Options.Enabled)
        {
            return Disabled();
        }
        var separator = token.IndexOf('.', StringComparison.Ordinal);
        var messageId = separator > 0 ? token[..separator] : "";
        var secret = separator > 0 ? token[(separator + 1)..] : token;
        var meta = messageId.Length == 0 ? null : ConnectorMeta.Parse((await messages.GetAsync(messageId, ct))?.Meta);
        if (!TokenMatches(meta?.CallbackToken, secret))
        {
            // The same answer whether the message exists or not.
            return Problems.NotFound("There is no callback URL here: Kaleyra must call the exact URL Herald sent in the message's callback field.");
        }
        // Stored with every other report (one pipeline: group commit, recovery after a crash), scoped to this message.
        return await DlrEndpoints.IngestAsync(context, ingest, ConnectorReportHook.ProviderId, messageId, time, ct);
    }

    private static async Task<IResult> GetMessage(string id, IMessageStore messages, IOutboxStore outbox, IDlrInbox inbox, CancellationToken ct)
    {
        var message = await messages.GetAsync(id, ct);
        if (ConnectorMeta.Parse(message?.Meta) is not { } meta)
        {
            return Problems.NotFound($"No connector message has the Herald id '{id}'.");
        }
        var relays = await outbox.ListAsync(new OutboxQuery { MessageId = id, Limit = 100 }, ct);
        var callbacks = await inbox.ForMessageAsync(id, 100, ct);
        return Results.Ok(new ConnectorMessageView(message!.Id, meta.ExternalId, meta.CallbackUrl, meta.Host, message.CreatedAt,
            [.. relays.Items.Reverse().Select(r =>
            {
                var payload = System.Text.Json.Nodes.JsonNode.Parse(r.Payload)!;
                return new RelayView(r.Id, payload["event"]!.GetValue<string>(), r.Status.ToString().ToLowerInvariant(), r.Attempts, r.NextAttemptAt, r.LastError,
                    System.Text.Json.JsonSerializer.SerializeToElement(payload["data"], HeraldJson.Options), r.CreatedAt, r.UpdatedAt);
            })],
            [.. callbacks.Select(c => new ConnectorCallbackView(c.Id, c.ReceivedAt, c.Method, c.ContentType, c.Body, c.Query, c.ProcessedAt, c.Result))]));
    }

    private static bool TokenMatches(string? expected, string given)
    {
        // Compare hashes so the time taken says nothing about the token's length or prefix, or whether the message exists.
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(expected ?? "\0no-such-message"));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(given));
        return CryptographicOperations.FixedTimeEquals(a, b) && expected is not null;
    }
}
