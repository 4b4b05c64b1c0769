using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core.Placeholders;
using Herald.Core.Providers;
using Herald.Providers.Abstractions;

namespace Herald.Providers.GenericHttp;

/// <summary>A generic provider's settings parsed once into templates, rendered into one request per message.</summary>
internal sealed class GenericRequestTemplate
{
    private readonly PlaceholderTemplate _endpoint;
    private readonly List<(string Key, PlaceholderTemplate Value)> _headers;
    private readonly List<(string Key, PlaceholderTemplate Value)> _parameters;
    private readonly JsonNode? _json;
    private readonly HashSet<string> _secretHeaders;
    private readonly HashSet<string> _secretParameters;

    private readonly Uri? _callbackUrl;

    public GenericRequestTemplate(GenericHttpSettings settings, Uri? callbackUrl = null)
    {
        _callbackUrl = callbackUrl;
        Settings = settings;
        _endpoint = PlaceholderTemplate.Parse(settings.Endpoint.Trim());
        _headers = settings.Headers.Select(h => (h.Key, PlaceholderTemplate.Parse(h.Value))).ToList();
        _parameters = settings.BodyType == "json" ? [] : settings.Parameters.Select(p => (p.Key, PlaceholderTemplate.Parse(p.Value))).ToList();
        _secretHeaders = settings.Headers.Where(h => h.IsSecret).Select(h => h.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _secretParameters = settings.Parameters.Where(p => p.IsSecret).Select(p => p.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _json = settings.BodyType == "json" && !string.IsNullOrWhiteSpace(settings.JsonTemplate) ? TryParseJson(settings.JsonTemplate) : null;
        Timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds <= 0 ? 30 : settings.TimeoutSeconds);
        _mandatoryCustom = AllPlaceholders().Where(p => p.Placeholder.IsCustom && !p.Placeholder.IsOptional).ToArray();
    }

    // The placeholders every message must give a value for, found once rather than by walking the templates per message.
    private readonly (PlaceholderToken Placeholder, string? HolderKey)[] _mandatoryCustom;

    public GenericHttpSettings Settings { get; }

    public TimeSpan Timeout { get; }

    /// <summary>Every placeholder in the endpoint, headers, parameters and JSON template, with the key that holds it.</summary>
    public IEnumerable<(PlaceholderToken Placeholder, string? HolderKey)> AllPlaceholders()
    {
        foreach (var token in _endpoint.Tokens)
        {
            yield return (token, null);
        }
        foreach (var (key, value) in _headers.Concat(_parameters))
        {
            foreach (var token in value.Tokens)
            {
                yield return (token, key);
            }
        }
        if (Settings.BodyType == "json" && Settings.JsonTemplate is { } raw)
        {
            // Walk the parsed template when it parses; otherwise read the raw text (validation reports the JSON error).
            if (_json is null)
            {
                foreach (var token in PlaceholderTemplate.Parse(raw).Tokens)
                {
                    yield return (token, null);
                }
            }
            else
            {
                foreach (var (key, template) in JsonStrings(_json, null))
                {
                    foreach (var token in template.Tokens)
                    {
                        yield return (token, key);
                    }
                }
            }
        }
    }

    /// <summary>Builds the request for one message. Throws <see cref="MessageRenderException"/> when a mandatory placeholder has no value.</summary>
    public HttpRequestMessage Build(OutboundMessage message, ICollection<string> secrets)
    {
        var values = new PlaceholderValues
        {
            To = message.To.Format(Settings.ToFormat),
            Body = message.Body,
            TemplateId = message.TemplateId,
            TemplateVariables = message.TemplateVariables,
            CampaignId = message.CampaignId,
            MessageId = message.MessageId,
            CallbackUrl = _callbackUrl?.ToString(),
            Custom = CustomValues(message),
        };
        List<string>? missing = null;
        foreach (var (placeholder, holderKey) in _mandatoryCustom)
        {
            if (values.Resolve(placeholder, holderKey) is null && !(missing ??= []).Contains(placeholder.ToString(), StringComparer.OrdinalIgnoreCase))
            {
                missing.Add(placeholder.ToString());
            }
        }
        if (missing is not null)
        {
            var names = string.Join(", ", missing);
            throw new MessageRenderException($"dynamicFields.{missing[0][2..]}",
                $"The provider's configuration uses {names} but no value was given: add {(missing.Count == 1 ? "it" : "them")} to dynamicFields (e.g. \"dynamicFields\": {{\"{missing[0][2..]}\": \"...\"}}).");
        }

        var isGet = Settings.RequestType == "GET";
        var url = _endpoint.Render(t => Uri.EscapeDataString(values.Resolve(t) ?? ""));
        var formFields = RenderRows(_parameters, values);
        if (isGet && formFields.Count > 0)
        {
            var query = string.Join("&", formFields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"));
            url += (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;
        }
        var request = new HttpRequestMessage(isGet ? HttpMethod.Get : HttpMethod.Post, url);
        if (!isGet)
        {
            request.Content = Settings.BodyType == "json"
                ? new StringContent(RenderJson(values, secrets), Encoding.UTF8, "application/json")
                : new FormUrlEncodedContent(formFields);
        }
        EndpointQuerySecrets.Rewrite(Settings.Endpoint, (_, value) =>
        {
            secrets.Add(value);
            secrets.Add(Uri.UnescapeDataString(value)); // the value as written may be escaped or not: mask both spellings
            return null;
        });
        foreach (var (key, value) in RenderRows(_headers, values))
        {
            if (_secretHeaders.Contains(key))
            {
                secrets.Add(value);
            }
            if (!request.Headers.TryAddWithoutValidation(key, value))
            {
                request.Content?.Headers.Remove(key);
                request.Content?.Headers.TryAddWithoutValidation(key, value);
            }
        }
        foreach (var (key, value) in formFields.Where(f => _secretParameters.Contains(f.Key)))
        {
            secrets.Add(value);
        }
        if (Settings.Authentication is { Type: "basic", Username: { } user, Password: { } password })
        {
            secrets.Add(password);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        return request;
    }

    private static Dictionary<string, string> CustomValues(OutboundMessage message)
    {
        // Keys that differ only in case ("sender" and "Sender") are one field: keep the first
        // non-empty value rather than throwing on the duplicate.
        var custom = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in message.DynamicFields)
        {
            if (!custom.TryGetValue(key, out var existing) || string.IsNullOrEmpty(existing))
            {
                custom[key] = value;
            }
        }
        if (!string.IsNullOrEmpty(message.Sender))
        {
            custom.TryAdd("Sender", message.Sender);
            // $$Header is the DLT name for the sender id (the policy fills it, and $$EntityId, from a registered DLT template).
            custom.TryAdd("Header", message.Sender);
        }
        // $$TYPE, as in the seed, carries the message type in the provider's words (OTP, TXN, MKT, DEFAULT).
        if (MessageTypeWord(message.Type) is { } word)
        {
            custom.TryAdd("Type", word);
        }
        return custom;
    }

    private static string? MessageTypeWord(string type) => type switch
    {
        "otp" => "OTP",
        "txn" => "TXN",
        "mkt" => "MKT",
        "default" => "DEFAULT",
        _ => null,
    };

    private static List<KeyValuePair<string, string>> RenderRows(List<(string Key, PlaceholderTemplate Value)> rows, PlaceholderValues values)
    {
        var result = new List<KeyValuePair<string, string>>(rows.Count);
        foreach (var (key, template) in rows)
        {
            if (template.SolePlaceholder is { IsOptional: true } sole && values.Resolve(sole, key) is null)
            {
                continue; // an optional value that is absent is left out, not sent empty
            }
            result.Add(new(key, template.Render(t => values.Resolve(t, key) ?? "")));
        }
        return result;
    }

    private string RenderJson(PlaceholderValues values, ICollection<string> secrets)
    {
        var copy = _json!.DeepClone();
        Render(copy, null);
        return copy.ToJsonString();

        void Render(JsonNode node, string? key)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var property in obj.ToList())
                    {
                        if (property.Value is JsonValue value && value.TryGetValue<string>(out var text))
                        {
                            var template = PlaceholderTemplate.Parse(text);
                            if (template.SolePlaceholder is { IsOptional: true } sole && values.Resolve(sole, property.Key) is null)
                            {
                                obj.Remove(property.Key);
                                continue;
                            }
                            var rendered = template.Render(t => values.Resolve(t, property.Key) ?? "");
                            if (Secrets.IsSecretKey(property.Key))
                            {
                                secrets.Add(rendered); // masked in the exchange, as secret headers and parameters are
                            }
                            obj[property.Key] = rendered;
                        }
                        else if (property.Value is not null)
                        {
                            Render(property.Value, property.Key);
                        }
                    }
                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (array[i] is JsonValue value && value.TryGetValue<string>(out var text))
                        {
                            array[i] = PlaceholderTemplate.Parse(text).Render(t => values.Resolve(t, key) ?? "");
                        }
                        else if (array[i] is { } child)
                        {
                            Render(child, key);
                        }
                    }
                    break;
            }
        }
    }

    private static IEnumerable<(string? Key, PlaceholderTemplate Template)> JsonStrings(JsonNode node, string? key)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    if (child is not null)
                    {
                        foreach (var item in JsonStrings(child, name))
                        {
                            yield return item;
                        }
                    }
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        foreach (var item in JsonStrings(child, key))
                        {
                            yield return item;
                        }
                    }
                }
                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                yield return (key, PlaceholderTemplate.Parse(text));
                break;
        }
    }

    private static JsonNode? TryParseJson(string template)
    {
        try
        {
            return JsonNode.Parse(template);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
