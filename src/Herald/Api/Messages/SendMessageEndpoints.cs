using Herald.Security;
using Herald.Core;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml;
using Herald.Core.Encoding;
using Herald.Core.Messaging;
using Herald.Core.Phones;
using Herald.Core.Providers;
using Herald.Api.Providers;
using Herald.Dispatch;
using Herald.Dispatch.Intake;
using Herald.Hosting;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Api.Messages;

/// <summary>The body of POST /api/v1/messages.</summary>
public sealed record SendMessageRequest(
    string? To,
    string? Body,
    string? TemplateId,
    string? TemplateVariables,
    string? Type,
    string? Sender,
    string? Provider,
    Dictionary<string, string>? DynamicFields,
    string? Validity,
    string? CampaignId,
    string? ProviderGroup = null,
    string? CountryCode = null,
    string? LongUrl = null,
    bool? ShortenLinks = null);

/// <summary>
/// The answer to an accepted message; <c>Replayed</c> is true when an Idempotency-Key already sent it (nothing new was queued).
/// <c>Status</c> is queued, or rejected when the send-path policy skipped it (<c>Reason</c> says why: suppressed, no-consent,
/// dlt-mismatch, quiet-hours, frequency-cap); a message deferred by the policy is queued with <c>Reason</c> (legal-window,
/// quiet-hours) and <c>NotBefore</c>, the next allowed minute.
/// </summary>
public sealed record SendMessageResult(string Id, string Status, string Encoding, int Segments, DateTimeOffset? ValidUntil, bool? Replayed = null,
    string? Reason = null, DateTimeOffset? NotBefore = null);

/// <summary>The body of POST /api/v1/messages/batch.</summary>
public sealed record SendBatchRequest(List<SendMessageRequest>? Messages);

/// <summary>POST /api/v1/messages and /api/v1/messages/batch: transactional sends, stored before they are acknowledged.</summary>
internal static class SendMessageEndpoints
{
    public const int MaxBatch = 10_000;

    private const string BatchPath = "/api/v1/messages/batch";

    public static RouteGroupBuilder MapSendMessages(this RouteGroupBuilder api)
    {
        api.MapPost("/messages", SendAsync).RequireScope(ApiAccess.Send).DescribeSend();
        // A full batch (10,000 messages, ~1.5 MB) is larger than the server-wide body limit: this endpoint has its own.
        var limit = ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<IOptions<HeraldOptions>>().Value.MaxBatchBodyBytes;
        api.MapPost("/messages/batch", SendBatchAsync).WithMetadata(new BodySizeLimit(limit)).RequireScope(ApiAccess.Send).DescribeSendBatch();
        return api;
    }

    private static async Task<IResult> SendAsync(SendMessageRequest request, HttpContext context, IMessageIntake intake,
        IMessageStore messages, TimeProvider time, CancellationToken ct)
    {
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        string? hash = null;
        if (key.Length > 0)
        {
            if (key.Length > 255)
            {
                return Problems.BadRequest("Idempotency-Key", "Idempotency-Key is at most 255 characters.");
            }
            hash = Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, HeraldJson.Options)));
            if (await ReplayAsync(key, hash, intake, messages, time, ct) is { } replay)
            {
                return replay;
            }
        }
        var prepared = await intake.PrepareAsync(Submission(request, context), IntakeMode.Queue, new IntakeLookups(), ct);
        if (prepared.Errors is { } errors)
        {
            return Problems.Invalid(errors.ToDictionary());
        }
        var accepted = (await intake.CheckPolicyAsync([prepared.Prepared!], ct))[0];
        try
        {
            await intake.SubmitAsync([accepted], hash is null ? null : new IdempotencyRecord(key, hash, accepted.Message.Id, time.GetUtcNow()), ct);
        }
        catch (System.Data.Common.DbException) when (hash is not null)
        {
            // Another request with the same key won the race: answer as it did.
            if (await ReplayAsync(key, hash, intake, messages, time, ct) is { } replay)
            {
                return replay;
            }
            throw;
        }
        return Results.Accepted($"/api/v1/messages/{accepted.Message.Id}", Result(accepted));
    }

    /// <summary>What the API's request asks the intake for.</summary>
    internal static MessageSubmission Submission(SendMessageRequest request, HttpContext context) => new()
    {
        To = request.To, CountryCode = request.CountryCode, Body = request.Body, TemplateId = request.TemplateId, TemplateVariables = request.TemplateVariables, Type = request.Type,
        Sender = request.Sender, Provider = request.Provider, ProviderGroup = request.ProviderGroup, DynamicFields = request.DynamicFields,
        Validity = request.Validity, CampaignId = request.CampaignId, Source = "api", LongUrl = request.LongUrl, ShortenLinks = request.ShortenLinks ?? true,
        ApiKeyId = ApiCaller.From(context.User)?.KeyId,
    };

    private static async Task<IResult?> ReplayAsync(string key, string hash, IMessageIntake intake, IMessageStore messages, TimeProvider time, CancellationToken ct)
    {
        var existing = await intake.FindIdempotencyAsync(key, time.GetUtcNow() - TimeSpan.FromHours(24), ct);
        if (existing is null)
        {
            return null;
        }
        if (existing.RequestHash != hash)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Idempotency-Key reused",
                detail: $"The Idempotency-Key '{key}' was used in the last 24 h for a different request ({(existing.Response is null ? $"message {existing.MessageId}" : "a batch")}). Use a new key for a new message.");
        }
        var message = await messages.GetAsync(existing.MessageId, ct);
        return Results.Accepted($"/api/v1/messages/{existing.MessageId}",
            new SendMessageResult(existing.MessageId, message?.Status.ToWire() ?? "queued", "", 0, null, Replayed: true));
    }

    private static async Task<IResult> SendBatchAsync(HttpContext context, IMessageIntake intake, TimeProvider time, CancellationToken ct)
    {
        if (!context.Request.HasJsonContentType())
        {
            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the batch as JSON: Content-Type: application/json.");
        }
        var (key, keyError) = BatchIdempotency.KeyOf(context.Request);
        if (keyError is not null)
        {
            return keyError;
        }
        // The body is held as bytes and read message by message: the batch never becomes a list of all its messages.
        using var body = await BatchBodyReader.BufferAsync(context.Request.BodyReader, HeraldJson.Options, ct);
        // A first pass checks every item's JSON and stops at message MaxBatch + 1, so nothing is stored for a refused body.
        var scan = body.Scan(MaxBatch, hash: key is not null);
        if (scan.TooMany)
        {
            return Problems.BadRequest("messages", $"A batch holds at most {MaxBatch.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} messages; this one has more. Split it.");
        }
        var idempotency = key is null ? null : BatchIdempotency.For(key, scan.Hash!);
        if (idempotency is not null && await idempotency.ReplayAsync(intake, time, context.Response, ct) is { } replay)
        {
            return replay;
        }
        if (scan.Count is not > 0)
        {
            return Problems.BadRequest("messages", "messages must be a non-empty array of messages like the body of POST /api/v1/messages.");
        }
        // Without a key, every StoreChunk accepted messages are checked, stored (one transaction each) and handed to the dispatcher
        // while the rest is read, so a request holds at most a chunk of messages. With a key the whole batch is one transaction
        // with its stored answer (a retry after a crash finds all of it or none of it), as before.
        var chunk = idempotency is null ? StoreChunk : int.MaxValue; // with a key: never flushed before the end
        var lookups = new IntakeLookups();
        var answered = new List<BatchAcceptedItem>();
        var rejected = new List<object>();
        var pending = new List<(int Index, PreparedMessage Item)>(Math.Min(chunk, scan.Count.Value));
        var items = new List<SendMessageRequest?>(Math.Min(ReadChunk, scan.Count.Value));
        var index = 0;
        while (body.Read(items, ReadChunk) > 0)
        {
            foreach (var item in items)
            {
                var i = index++;
                if (item is null) // a null in the batch's array
                {
                    rejected.Add(new { index = i, errors = new Dictionary<string, string[]> { ["message"] = ["The message is null: give an object like the body of POST /api/v1/messages."] } });
                    continue;
                }
                var prepared = await intake.PrepareAsync(Submission(item, context), IntakeMode.Queue, lookups, ct);
                if (prepared.Errors is { } errors)
                {
                    rejected.Add(new { index = i, errors });
                    continue;
                }
                pending.Add((i, prepared.Prepared!));
                if (pending.Count == chunk)
                {
                    await StoreAsync(intake, pending, answered, ct);
                }
            }
            items.Clear();
        }
        if (answered.Count == 0 && pending.Count == 0)
        {
            // Nothing queued: a problem (like every other 400 of the API) that still lists each message's errors by index.
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No message of the batch was accepted",
                detail: "Every message was rejected: see rejected[].errors by index, fix them and send the batch again.",
                extensions: new Dictionary<string, object?> { ["accepted"] = Array.Empty<object>(), ["rejected"] = rejected });
        }
        var status = StatusCodes.Status202Accepted;
        if (idempotency is null)
        {
            await StoreAsync(intake, pending, answered, ct);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json; charset=utf-8";
            await JsonSerializer.SerializeAsync(context.Response.Body, new { accepted = answered, rejected }, HeraldJson.Options, ct);
            return Results.Empty;
        }
        // The send-path policy decides the whole batch in order (earlier messages count against later ones' caps).
        var decided = await intake.CheckPolicyAsync(pending.ConvertAll(a => a.Item), ct);
        for (var k = 0; k < pending.Count; k++)
        {
            answered.Add(Answered(pending[k].Index, decided[k]));
        }
        var answer = JsonSerializer.Serialize(new { accepted = answered, rejected }, HeraldJson.Options);
        var record = idempotency.Record(answer, status, decided[0].Message.Id, time.GetUtcNow());
        try
        {
            await intake.SubmitAsync(decided, record, ct);
        }
        catch (System.Data.Common.DbException)
        {
            // Another request with the same key won the race: answer as it did.
            if (await idempotency.ReplayAsync(intake, time, context.Response, ct) is { } raced)
            {
                return raced;
            }
            throw;
        }
        return Results.Content(answer, "application/json", Encoding.UTF8, status);
    }

    /// <summary>Messages of a batch checked and stored per transaction when the batch has no Idempotency-Key.</summary>
    internal const int StoreChunk = 1_000;

    /// <summary>Messages of a batch deserialised at a time.</summary>
    private const int ReadChunk = 250;

    /// <summary>
    /// Checks a chunk of a batch against the send-path policy (in order: the chunks before it are stored, so they count against
    /// its caps as earlier messages of one list would), stores it in one transaction, wakes the dispatcher, and keeps only the answer.
    /// </summary>
    private static async Task StoreAsync(IMessageIntake intake, List<(int Index, PreparedMessage Item)> pending, List<BatchAcceptedItem> answered, CancellationToken ct)
    {
        if (pending.Count == 0)
        {
            return;
        }
        var decided = await intake.CheckPolicyAsync(pending.ConvertAll(a => a.Item), ct);
        await intake.SubmitAsync(decided, null, ct);
        for (var k = 0; k < pending.Count; k++)
        {
            answered.Add(Answered(pending[k].Index, decided[k]));
        }
        pending.Clear();
    }

    private static BatchAcceptedItem Answered(int index, PreparedMessage item) =>
        new(index, item.Message.Id, item.Message.Status.ToWire(), item.Dispatch.Segments, item.SkipReason ?? (item.Decision as PolicyDecision.Defer)?.Reason, item.DeferredUntil);

    /// <summary>Whether a request is for the batch endpoint (it has its own body limit).</summary>
    public static bool IsBatch(HttpRequest request) => request.Path.Equals(BatchPath, StringComparison.OrdinalIgnoreCase);

    private static SendMessageResult Result(PreparedMessage item) =>
        new(item.Message.Id, item.Message.Status.ToWire(), item.Dispatch.Encoding, item.Dispatch.Segments, item.Dispatch.ValidUntil,
            Reason: item.SkipReason ?? (item.Decision as PolicyDecision.Defer)?.Reason, NotBefore: item.DeferredUntil);
}

/// <summary>An endpoint's own request body limit (honoured by routing before the body is read).</summary>
internal sealed record BodySizeLimit(long? MaxRequestBodySize) : Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata;
