using Herald.Simulator.Http;
using Microsoft.AspNetCore.Http;

namespace Herald.Simulator.Connector;

/// <summary>
/// Reads the connector's fields from an <c>x-www-form-urlencoded</c> body (what CleverTap's generic
/// provider sends in the seed), a JSON object body, or the query string (GET). Body fields win over query
/// fields; names match case-insensitively.
/// </summary>
internal static class ConnectorRequestParser
{
    public static bool TryParse(HttpRequest request, string body, out ConnectorFields fields, out string? error)
    {
        if (!RequestFieldReader.TryRead(
            request, body, includeQuery: true, out var values, out error, "The JSON body must be an object with the fields to, body, message_id, ..."))
        {
            fields = new ConnectorFields(null, null, null, null, null, null, null, null);
            return false;
        }

        fields = new ConnectorFields(
            RequestFieldReader.Get(values, "to"),
            RequestFieldReader.Get(values, "sender"),
            RequestFieldReader.Get(values, "body"),
            RequestFieldReader.Get(values, "template_id"),
            RequestFieldReader.Get(values, "message_id"),
            RequestFieldReader.Get(values, "campaign_id"),
            RequestFieldReader.Get(values, "type"),
            RequestFieldReader.Get(values, "long_url"));
        return true;
    }
}
