using Herald.Security;
using Herald.Core.Messaging;
using Herald.Core.Providers;
using Herald.Dispatch;
using Herald.Dispatch.Direct;
using Herald.Dispatch.Intake;
using Herald.Dispatch.Outcomes;
using Herald.Storage;

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
    public static IServiceCollection AddTestSms(this IServiceCollection services) => services.AddSingleton<TestSmsService>();

    public static RouteGroupBuilder MapTestSms(this RouteGroupBuilder api)
    {
        api.MapPost("/providers/{id}/test-sms", async (string id, TestSmsRequest request, TestSmsService service, CancellationToken ct) =>
            await service.SendAsync(id, request, ct)).RequireScope(ApiAccess.Admin, "provider.test-sms").DescribeTestSms();
        return api;
    }
}

internal sealed class TestSmsService(IProviderStore providers, IMessageIntake intake, IDirectSend direct, ISenderResolver senders)
{
    public async Task<IResult> SendAsync(string providerId, TestSmsRequest request, CancellationToken cancellationToken)
    {
        var provider = await providers.FindAsync(providerId, cancellationToken);
        if (provider is null)
        {
            return Problems.NotFound($"No provider has the id or nickname '{providerId}'.");
        }
        // The message exists before the provider is called: nothing is lost if Herald stops mid-send.
        var prepared = await intake.PrepareAsync(new MessageSubmission
        {
            To = request.To ?? request.Mobile, CountryCode = request.CountryCode, ToField = request.To is null ? "mobile" : "to",
            Body = request.Message, BodyField = "message", Type = MessageTypes.Test, Sender = request.Sender, TemplateId = request.TemplateId,
            Provider = provider.Id, DynamicFields = request.DynamicFields, Source = "test",
        }, IntakeMode.Direct, new IntakeLookups(), cancellationToken);
        if (prepared.Errors is { } errors)
        {
            return Problems.Invalid(errors.ToDictionary());
        }
        var message = prepared.Prepared! with
        {
            Dispatch = prepared.Prepared!.Dispatch with { Source = "api", Note = $"test SMS to {prepared.Prepared.Message.To} through {provider.Nickname}" },
        };
        await intake.SubmitAsync([message], null, cancellationToken);
        var (result, transition) = await direct.SendAsync(message, senders.SenderFor(provider), provider.Nickname, "test messages are not retried", cancellationToken);
        return Results.Ok(new TestSmsResult(
            message.Message.Id,
            result.Outcome.Kind,
            (transition.State ?? DeliveryState.Queued).ToWire(),
            SendOutcomes.Reason(result.Outcome),
            (result.Outcome as SendOutcome.Accepted)?.ProviderMessageId,
            result.Exchange?.Request,
            result.Exchange?.Response,
            result.Exchange?.Error,
            result.Exchange?.ElapsedMs ?? 0,
            message.Dispatch.Encoding,
            message.Dispatch.Segments));
    }
}
