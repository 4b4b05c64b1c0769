using Herald.Api.Providers;
using Herald.Core.Encoding;
using Herald.Core.Messaging;
using Herald.Core.Phones;
using Herald.Core.Providers;
using Herald.Hosting;
using Herald.Sending;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Api.TestSms;

/// <summary>The body of the Send Test SMS form (seed: Country Code and Mobile Number, Template ID, Message, Dynamic Fields).</summary>
public sealed record TestSmsRequest(
    string? CountryCode,
    string? Mobile,
    string? To,
    string? TemplateId,
    string? Message,
    string? Sender,
    Dictionary<string, string>? DynamicFields);

/// <summary>What the test SMS did: the exact request, the provider's answer and the outcome.</summary>
public sealed record TestSmsResult(
    string MessageId,
    string Outcome,
    string Status,
    string? Reason,
    string? ProviderMessageId,
    ExchangeRequest? Request,
    ExchangeResponse? Response,
    string? Error,
    long ElapsedMs,
    string? Encoding = null,
    int Segments = 0);

/// <summary>POST /api/v1/providers/{id}/test-sms.</summary>
internal static class TestSmsEndpoints
{
    public static RouteGroupBuilder MapTestSms(this RouteGroupBuilder api)
    {
        api.MapPost("/providers/{id}/test-sms", async (string id, TestSmsRequest request, TestSmsService service, CancellationToken ct) =>
            await service.SendAsync(id, request, ct));
        return api;
    }
}

internal sealed class TestSmsService(
    IProviderStore providers,
    IMessageStore messages,
    ProviderService providerService,
    OutcomeRecorder recorder,
    Herald.Dispatch.CredentialWatch credentials,
    Microsoft.Extensions.Options.IOptions<HeraldOptions> herald,
    TimeProvider time)
{
    public async Task<IResult> SendAsync(string providerId, TestSmsRequest request, CancellationToken cancellationToken)
    {
        var provider = await providers.FindAsync(providerId, cancellationToken);
        if (provider is null)
        {
            return Problems.NotFound($"No provider has the id or nickname '{providerId}'.");
        }
        var number = request.To ?? request.Mobile;
        var numberField = request.To is null ? "mobile" : "to";
        if (!PhoneNumber.TryParse(number, string.IsNullOrWhiteSpace(request.CountryCode) ? herald.Value.DefaultCountry : request.CountryCode, out var phone, out var phoneError))
        {
            return Problems.BadRequest(numberField, phoneError!);
        }
        if (string.IsNullOrWhiteSpace(request.Message) && string.IsNullOrWhiteSpace(request.TemplateId))
        {
            return Problems.BadRequest("message", "Write a message (e.g. \"This is a test message powered by Kaleyra\") or give a templateId.");
        }
        if (!SegmentLimit.Check(request.Message, provider.MaxSegments > 0 ? provider.MaxSegments : herald.Value.MaxSegments, out var segments, out var lengthError))
        {
            return Problems.BadRequest("message", lengthError!);
        }
        var dynamicFields = request.DynamicFields ?? [];
        var messageId = Ids.NewMessageId(time);
        var outbound = new OutboundMessage
        {
            MessageId = messageId,
            To = phone!,
            Body = request.Message,
            Type = MessageTypes.Test,
            Sender = request.Sender,
            TemplateId = string.IsNullOrWhiteSpace(request.TemplateId) ? null : request.TemplateId.Trim(),
            DynamicFields = dynamicFields,
        };
        var sender = providerService.SenderFor(provider);
        try
        {
            sender.Validate(outbound);
        }
        catch (MessageRenderException ex)
        {
            return Problems.BadRequest(ex.Field, ex.Message);
        }

        // The message exists before the provider is called: nothing is lost if Herald stops mid-send.
        var now = time.GetUtcNow();
        await messages.InsertAsync(new MessageRecord
        {
            Id = messageId,
            ProviderId = provider.Id,
            ProviderNickname = provider.Nickname,
            To = phone!.E164,
            Body = outbound.Body,
            TemplateId = outbound.TemplateId,
            Sender = outbound.Sender,
            Type = MessageTypes.Test,
            Source = "test",
            DynamicFields = dynamicFields.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(dynamicFields, HeraldJson.Options),
            Status = DeliveryState.Queued,
            CreatedAt = now,
            UpdatedAt = now,
        }, new MessageEventRecord
        {
            MessageId = messageId,
            At = now,
            Source = "api",
            Event = "queued",
            State = DeliveryState.Queued,
            Applied = true,
            Note = $"test SMS to {phone.E164} through {provider.Nickname}",
        }, cancellationToken);

        await recorder.DispatchingAsync(messageId, provider.Nickname, cancellationToken);
        var result = await sender.SendAsync(outbound, cancellationToken);
        var transition = await recorder.RecordAsync(messageId, result, retryable: false, cancellationToken);
        await credentials.ObserveAsync(provider.Id, provider.CredentialsFailedAt is not null, [result.Outcome], cancellationToken);
        var reason = result.Outcome switch
        {
            SendOutcome.Transient t => t.Reason,
            SendOutcome.Permanent p => p.Reason,
            _ => null,
        };
        return Results.Ok(new TestSmsResult(
            messageId,
            result.Outcome.Kind,
            (transition.State ?? DeliveryState.Queued).ToWire(),
            reason,
            (result.Outcome as SendOutcome.Accepted)?.ProviderMessageId,
            result.Exchange?.Request,
            result.Exchange?.Response,
            result.Exchange?.Error,
            result.Exchange?.ElapsedMs ?? 0,
            SegmentLimit.WireName(segments.Encoding),
            segments.Segments));
    }
}
