using System.Text.Json.Serialization;
using Herald.Api.DeliveryReports;

namespace Herald.Api.Connect;

/// <summary>The form CleverTap posts to <c>POST /connect/kaleyra</c> (seed: Parameters, Type x-www-form-urlencoded). Described, not bound: the connector reads the form itself.</summary>
/// <param name="To">The recipient, E.164 with or without '+'.</param>
/// <param name="Sender">The DLT sender id (header).</param>
/// <param name="Body">The message text.</param>
/// <param name="TemplateId">The DLT template id.</param>
/// <param name="MessageId">CleverTap's message id, echoed in every relayed report.</param>
/// <param name="CampaignId">CleverTap's campaign id.</param>
/// <param name="Type">Kaleyra's message type (OTP, TXN, MKT).</param>
/// <param name="LongUrl">Shorten links in the body (Kaleyra's shortener).</param>
public sealed record KaleyraConnectorForm(
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("sender")] string Sender,
    [property: JsonPropertyName("body")] string Body,
    [property: JsonPropertyName("template_id")] string? TemplateId,
    [property: JsonPropertyName("message_id")] string MessageId,
    [property: JsonPropertyName("campaign_id")] string? CampaignId,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("long_url")] string? LongUrl);

/// <summary>The connector's endpoints as the OpenAPI document shows them (kept apart from the endpoints' code).</summary>
internal static class ConnectorDescription
{
    public static RouteHandlerBuilder DescribeConnectorSend(this RouteHandlerBuilder endpoint) => endpoint
        .Accepts<KaleyraConnectorForm>("application/x-www-form-urlencoded")
        .Produces<ConnectorAccepted>()
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status502BadGateway)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
        .ProducesProblem(StatusCodes.Status504GatewayTimeout)
        .WithTags("Kaleyra connector")
        .WithSummary("CleverTap's \"Other (Generic)\" SMS request, sent through Kaleyra")
        .WithDescription("The seed's HTTP endpoint. Headers: api-key and sid (Kaleyra's), kaleyra-host (an allow-listed Kaleyra API host), " +
            "callback_url (CleverTap's DLR URL, allow-listed); Basic auth with Herald:Connector:Kaleyra:Username/Password (503 until they or AllowAnonymous=true are set). No Herald API key.");

    public static RouteHandlerBuilder DescribeConnectorCallback(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<DlrAnswer>()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .WithTags("Kaleyra connector")
        .WithSummary("Kaleyra's delivery callback for a connector message (the token is the credential)");

    public static RouteHandlerBuilder DescribeConnectorMessage(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<ConnectorMessageView>()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .WithTags("Kaleyra connector")
        .WithSummary("A connector message: its relays to CleverTap and Kaleyra's raw callbacks");
}
