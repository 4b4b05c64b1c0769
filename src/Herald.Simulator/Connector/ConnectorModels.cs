using System.Text.Json.Serialization;

namespace Herald.Simulator.Connector;

/// <summary>200 body of <c>POST /connector/sms</c>.</summary>
internal sealed record ConnectorAccepted(
    string Id,
    [property: JsonPropertyName("message_id")] string MessageId,
    string Status);

/// <summary>Error body shared by every face: <c>{"error":{"code":..,"field":..,"message":..}}</c>.</summary>
internal sealed record ErrorEnvelope(ErrorBody Error);

internal sealed record ErrorBody(string Code, string? Field, string Message);

/// <summary>The fields of a connector send, read from a form, JSON object or query string.</summary>
internal sealed record ConnectorFields(
    string? To,
    string? Sender,
    string? Body,
    string? TemplateId,
    string? MessageId,
    string? CampaignId,
    string? Type,
    string? LongUrl);
