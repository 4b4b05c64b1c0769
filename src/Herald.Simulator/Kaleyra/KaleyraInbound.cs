using System.Text.Json;
using Herald.Simulator.Callbacks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Simulator.Kaleyra;

/// <summary>The body of <c>POST /_sim/inbound</c>: a person's message to deliver to Herald as Kaleyra forwards one.</summary>
/// <param name="Url">Herald's inbound URL for the provider (<c>inboundUrl</c> on the provider).</param>
/// <param name="From">The person's number, E.164 (sent without +, as Kaleyra writes numbers).</param>
/// <param name="To">The number they wrote to.</param>
/// <param name="Text">What they wrote.</param>
/// <param name="Id">The provider's id for the message; a new one when absent (send the same id again to replay it).</param>
/// <param name="Face">Which provider forwards it: <c>kaleyra</c> (the default) or <c>twilio</c> (Twilio's signed incoming-message form).</param>
public sealed record SimulatedInbound(string? Url, string? From, string? To, string? Text, string? Id, string? Face = null);

/// <summary>What Herald answered.</summary>
/// <param name="Id">The id sent.</param>
/// <param name="Status">Herald's status code.</param>
/// <param name="Body">Herald's body.</param>
public sealed record SimulatedInboundResult(string Id, int Status, string Body);

/// <summary>
/// <c>POST /_sim/inbound</c>: the Kaleyra face delivers an inbound SMS (a reply, a STOP) to Herald now, as a form post with
/// <c>sender</c>, <c>receiver</c>, <c>message</c>, <c>id</c> and <c>created_at</c>, and answers with what Herald said. With
/// <c>"face": "twilio"</c> the Twilio face delivers it instead, as Twilio's signed incoming-message webhook (<see cref="Twilio.TwilioInbound"/>).
/// </summary>
internal static class KaleyraInbound
{
    public static void Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder endpoints) =>
        Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapPost(endpoints, "/_sim/inbound", DeliverAsync);

    private static async Task DeliverAsync(HttpContext context)
    {
        SimulatedInbound? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, SimulatorJsonContext.Default.SimulatedInbound, context.RequestAborted);
        }
        catch (JsonException)
        {
            request = null;
        }
        if (request is null || !Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
            || string.IsNullOrWhiteSpace(request.From) || request.Text is null || request.Face is not (null or "kaleyra" or "twilio"))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("Send JSON {\"url\": Herald's inbound URL, \"from\": \"+91...\", \"to\": \"...\", \"text\": \"STOP\", \"id\": optional, " +
                "\"face\": \"kaleyra\" (default) or \"twilio\"}.", context.RequestAborted);
            return;
        }
        var client = context.RequestServices.GetRequiredService<IHttpClientFactory>().CreateClient(DlrDispatcher.HttpClientName);
        if (request.Face == "twilio")
        {
            var sid = string.IsNullOrWhiteSpace(request.Id) ? "SM" + Guid.NewGuid().ToString("N") : request.Id;
            using var twilio = Twilio.TwilioInbound.Request(context.RequestServices.GetRequiredService<SimulatorOptions>(), url, sid, request.From, request.To, request.Text);
            using var answer = await client.SendAsync(twilio, context.RequestAborted);
            await WriteResultAsync(context, new SimulatedInboundResult(sid, (int)answer.StatusCode, await answer.Content.ReadAsStringAsync(context.RequestAborted)));
            return;
        }
        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        var id = string.IsNullOrWhiteSpace(request.Id) ? Guid.NewGuid().ToString("N") : request.Id;
        var fields = new Dictionary<string, string>
        {
            ["sender"] = request.From.TrimStart('+'),
            ["receiver"] = (request.To ?? "").TrimStart('+'),
            ["message"] = request.Text,
            ["id"] = id,
            ["created_at"] = time.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
        };
        using var content = new FormUrlEncodedContent(fields);
        using var response = await client.PostAsync(url, content, context.RequestAborted);
        await WriteResultAsync(context, new SimulatedInboundResult(id, (int)response.StatusCode, await response.Content.ReadAsStringAsync(context.RequestAborted)));
    }

    private static Task WriteResultAsync(HttpContext context, SimulatedInboundResult result) =>
        context.Response.WriteAsJsonAsync(result, SimulatorJsonContext.Default.SimulatedInboundResult, cancellationToken: context.RequestAborted);
}
