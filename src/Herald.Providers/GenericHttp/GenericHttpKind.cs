using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Core.Placeholders;
using Herald.Core.Providers;
using Herald.Providers.Abstractions;

namespace Herald.Providers.GenericHttp;

/// <summary>CleverTap's "Other (Generic)" HTTP provider: any HTTP SMS API from a form, no code.</summary>
internal sealed class GenericHttpKind(IHttpClientFactory httpClientFactory, TimeProvider time) : IProviderKind
{
    public const string Name = "generic";

    public string Kind => Name;
    public string DisplayName => "Other (Generic)";
    public IDeliveryReportFormat Reports => GenericDlrFormat.Instance;
    public ProviderFormDescriptor Form => GenericHttpForm.Descriptor;

    public IDeliveryReportFormat ReportsFor(IProviderSettings settings) => ReportDeclarations.FormatOf(Typed(settings).Reports);

    public IInboundMessageFormat? Inbound => InboundDeclaration.FormatOf(null);

    public IInboundMessageFormat? InboundFor(IProviderSettings settings) => InboundDeclaration.FormatOf(Typed(settings).Inbound);

    public (IDeliveryReportFormat? Format, IReadOnlyDictionary<string, string[]> Errors)? DeclaredReports(JsonElement reports)
    {
        var validation = new SettingsValidation();
        ReportDeclaration? declaration = null;
        if (reports.ValueKind == JsonValueKind.Object)
        {
            try
            {
                declaration = reports.Deserialize(GenericHttpJson.Default.ReportDeclaration);
            }
            catch (JsonException ex)
            {
                validation.Error("settings.reports", $"reports could not be read: {ex.Message}");
            }
        }
        else if (reports.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined))
        {
            validation.Error("settings.reports", "reports must be a JSON object: {\"preset\": \"kannel\"} or the fields you declare.");
        }
        if (declaration is not null)
        {
            ReportDeclarations.Validate(declaration, validation.Error);
        }
        var result = validation.Result("");
        return result.IsValid ? (ReportDeclarations.FormatOf(declaration), result.Errors) : (null, result.Errors);
    }

    public ProviderValidation Validate(JsonElement settings, ProviderValidationContext context)
    {
        var validation = new SettingsValidation();
        var Error = validation.Error;
        var parsed = validation.Read(settings, GenericHttpJson.Default.GenericHttpSettings, "endpoint, requestType, authentication, headers, bodyType and parameters");
        if (parsed is null)
        {
            return validation.Result(null);
        }

        // JSON null deserialises to null even where the type says otherwise: default what may be absent.
        parsed.Endpoint ??= "";
        parsed.Headers ??= [];
        parsed.Parameters ??= [];
        parsed.RequestType = (parsed.RequestType ?? "").Trim().ToUpperInvariant();
        if (parsed.RequestType is not ("GET" or "POST"))
        {
            Error("settings.requestType", $"requestType '{parsed.RequestType}' is not supported: use GET or POST.");
        }
        parsed.BodyType = (parsed.BodyType ?? "").Trim().ToLowerInvariant() switch
        {
            "x-www-form-urlencoded" or "application/x-www-form-urlencoded" => "form",
            "application/json" => "json",
            var other => other,
        };
        if (parsed.BodyType is not ("form" or "json"))
        {
            Error("settings.bodyType", $"bodyType '{parsed.BodyType}' is not supported: use form (x-www-form-urlencoded) or json.");
        }
        else if (parsed.BodyType == "json" && parsed.RequestType == "GET")
        {
            Error("settings.bodyType", "A GET request has no body: use bodyType form (sent as the query string) or requestType POST.");
        }
        parsed.ToFormat = (parsed.ToFormat ?? "e164").Trim().ToLowerInvariant();
        if (parsed.ToFormat is not ("e164" or "digits"))
        {
            Error("settings.toFormat", $"toFormat '{parsed.ToFormat}' is not supported: use e164 (+919812345678) or digits (919812345678).");
        }
        if (parsed.TimeoutSeconds is < 1 or > 120)
        {
            Error("settings.timeoutSeconds", "timeoutSeconds must be between 1 and 120.");
        }

        ValidateEndpoint(parsed.Endpoint, context, Error);
        ValidateAuthentication(parsed, Error);
        ValidateRows(parsed.Headers, "settings.headers", Error);
        if (parsed.BodyType == "json")
        {
            ValidateJsonTemplate(parsed.JsonTemplate, Error);
        }
        else
        {
            ValidateRows(parsed.Parameters, "settings.parameters", Error);
        }
        parsed.Headers.RemoveAll(r => r is null);
        parsed.Parameters.RemoveAll(r => r is null);
        ValidateResponseRules(parsed.Response, Error);
        if (parsed.Reports is not null)
        {
            ReportDeclarations.Validate(parsed.Reports, Error);
        }
        if (parsed.Inbound is { } inbound)
        {
            foreach (var (value, field) in new[] { (inbound.From, "from"), (inbound.To, "to"), (inbound.Text, "text"), (inbound.Id, "id") })
            {
                if (value is { Length: > 200 } || (value is not null && (value.Trim().Length == 0 || value.Any(char.IsControl))))
                {
                    Error($"settings.inbound.{field}", $"inbound.{field} names the field that holds it (at most 200 characters, a JSON path such as payload.{field} allowed), or leave it out for the default names.");
                }
            }
        }

        var placeholders = new GenericRequestTemplate(parsed).AllPlaceholders().Select(p => p.Placeholder).ToList();
        if (!placeholders.Any(p => p.System == SystemPlaceholder.To))
        {
            Error(parsed.BodyType == "json" ? "settings.jsonTemplate" : "settings.parameters", "$$To must appear in the endpoint, a header or a parameter: it carries the recipient.");
        }
        if (!placeholders.Any(p => p.System is SystemPlaceholder.Body or SystemPlaceholder.TemplateId))
        {
            Error(parsed.BodyType == "json" ? "settings.jsonTemplate" : "settings.parameters", "$$Body or $$TemplateID must appear: one of them carries the message.");
        }
        return validation.Result(JsonSerializer.Serialize(parsed, GenericHttpJson.Default.GenericHttpSettings));
    }

    public string TransformSecrets(string settings, Func<string, string> transform) =>
        JsonSerializer.Serialize((GenericHttpSettings)Read(settings, transform), GenericHttpJson.Default.GenericHttpSettings);

    public IProviderSettings Read(string settings, Func<string, string> secrets)
    {
        var parsed = Parse(settings);
        var transform = secrets;
        if (!string.IsNullOrEmpty(parsed.Authentication.Password))
        {
            parsed.Authentication.Password = transform(parsed.Authentication.Password);
        }
        foreach (var row in parsed.Headers.Concat(parsed.Parameters).Where(r => r.IsSecret && IsLiteral(r.Value)))
        {
            row.Value = transform(row.Value);
        }
        parsed.Endpoint = EndpointQuerySecrets.Rewrite(parsed.Endpoint, (_, value) => transform(value));
        if (!string.IsNullOrEmpty(parsed.JsonTemplate))
        {
            parsed.JsonTemplate = JsonTemplateSecrets.Rewrite(parsed.JsonTemplate, (_, value) => transform(value));
        }
        return parsed;
    }

    public string KeepMaskedSecrets(string incoming, string existing)
    {
        var next = Parse(incoming);
        var old = Parse(existing);
        if (next.Authentication.Password == Secrets.Mask)
        {
            next.Authentication.Password = old.Authentication.Password;
        }
        KeepRows(next.Headers, old.Headers);
        KeepRows(next.Parameters, old.Parameters);
        var keptQuery = new Dictionary<string, string>(StringComparer.Ordinal);
        EndpointQuerySecrets.Rewrite(old.Endpoint, (key, value) => { keptQuery.TryAdd(key, value); return null; });
        next.Endpoint = EndpointQuerySecrets.Rewrite(next.Endpoint,
            (key, value) => value == Secrets.Mask && keptQuery.TryGetValue(key, out var secret) ? secret : null);
        if (!string.IsNullOrEmpty(next.JsonTemplate) && !string.IsNullOrEmpty(old.JsonTemplate))
        {
            var kept = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            JsonTemplateSecrets.Rewrite(old.JsonTemplate, (path, value) => { kept.TryAdd(path, value); return null; });
            next.JsonTemplate = JsonTemplateSecrets.Rewrite(next.JsonTemplate,
                (path, value) => value == Secrets.Mask && kept.TryGetValue(path, out var secret) ? secret : null);
        }
        return JsonSerializer.Serialize(next, GenericHttpJson.Default.GenericHttpSettings);

        static void KeepRows(List<KeyValueSetting> next, List<KeyValueSetting> old)
        {
            foreach (var row in next.Where(r => r.Value == Secrets.Mask))
            {
                var match = old.FirstOrDefault(o => string.Equals(o.Key, row.Key, StringComparison.OrdinalIgnoreCase));
                if (match is not null)
                {
                    row.Value = match.Value;
                }
            }
        }
    }

    public IReadOnlyList<(PlaceholderToken Placeholder, string? HolderKey)> CustomPlaceholders(IProviderSettings settings) =>
        new GenericRequestTemplate(Typed(settings)).AllPlaceholders()
            .Where(p => p.Placeholder.IsCustom)
            .DistinctBy(p => p.Placeholder.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();

    public ISmsSender CreateSender(IProviderSettings settings, ProviderInstance instance) =>
        new GenericHttpSender(new GenericRequestTemplate(Typed(settings), instance.CallbackUrl), httpClientFactory, time);

    private static GenericHttpSettings Typed(IProviderSettings settings) => settings as GenericHttpSettings
        ?? throw new ArgumentException($"Expected generic settings, got {settings.GetType().Name}.", nameof(settings));

    internal static GenericHttpSettings Parse(string settings) =>
        JsonSerializer.Deserialize(settings, GenericHttpJson.Default.GenericHttpSettings)
        ?? throw new InvalidOperationException("Stored generic provider settings are empty.");

    private static bool IsLiteral(string value) => PlaceholderTemplate.Parse(value).Tokens.Count == 0;

    private static void ValidateEndpoint(string endpoint, ProviderValidationContext context, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            error("settings.endpoint", "endpoint is required: the provider's HTTP endpoint, e.g. https://api.example.com/v1/sms.");
            return;
        }
        var template = PlaceholderTemplate.Parse(endpoint.Trim());
        if (template.Tokens.Count > 0)
        {
            // The authority ends at the first '/', '?' or '#' after "//" (https://host?to=$$To has no path, only a query).
            var schemeEnd = template.Text.IndexOf("//", StringComparison.Ordinal);
            var authorityEnd = schemeEnd < 0 ? -1 : template.Text.IndexOfAny(['/', '?', '#'], schemeEnd + 2);
            if (authorityEnd < 0 || template.Tokens[0].Index < authorityEnd)
            {
                error("settings.endpoint", "Placeholders may appear in the endpoint's path and query only, not in its scheme or host.");
                return;
            }
        }
        var sample = template.Render(_ => "x");
        if (EndpointRules.Check(sample, context) is { } problem)
        {
            error("settings.endpoint", problem);
        }
    }

    private static void ValidateAuthentication(GenericHttpSettings settings, Action<string, string> error)
    {
        settings.Authentication ??= new AuthenticationSettings();
        var auth = settings.Authentication;
        auth.Type = (auth.Type ?? "none").Trim().ToLowerInvariant();
        switch (auth.Type)
        {
            case "none":
                auth.Username = null;
                auth.Password = null;
                break;
            case "basic":
                if (string.IsNullOrEmpty(auth.Username))
                {
                    error("settings.authentication.username", "Basic authentication needs a username.");
                }
                else if (auth.Username.Contains(':', StringComparison.Ordinal))
                {
                    error("settings.authentication.username", "A Basic authentication username cannot contain ':'.");
                }
                if (string.IsNullOrEmpty(auth.Password))
                {
                    error("settings.authentication.password", "Basic authentication needs a password.");
                }
                break;
            default:
                error("settings.authentication.type", $"authentication type '{auth.Type}' is not supported: use none or basic.");
                break;
        }
    }

    private static void ValidateRows(List<KeyValueSetting>? rows, string field, Action<string, string> error)
    {
        if (rows is null)
        {
            return;
        }
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (row is null)
            {
                error($"{field}[{i}]", "The row is empty: give it a key and a value, or remove it.");
                continue;
            }
            row.Key = (row.Key ?? "").Trim();
            row.Value ??= "";
            if (row.Key.Length == 0)
            {
                error($"{field}[{i}].key", "The key is empty: give every row a key, or remove the row.");
            }
            else if (!seen.Add(row.Key))
            {
                error($"{field}[{i}].key", $"The key '{row.Key}' appears more than once: keep one row per key.");
            }
            if (field.EndsWith("headers", StringComparison.Ordinal) && row.Key.Length > 0 && !IsToken(row.Key))
            {
                error($"{field}[{i}].key", $"'{row.Key}' is not a valid HTTP header name (letters, digits and -_ only).");
            }
            if (row.Value.Contains('\r', StringComparison.Ordinal) || row.Value.Contains('\n', StringComparison.Ordinal))
            {
                error($"{field}[{i}].value", "Values cannot contain line breaks.");
            }
        }
    }

    private static bool IsToken(string name) => name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));

    private static void ValidateJsonTemplate(string? template, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            error("settings.jsonTemplate", "bodyType json needs a jsonTemplate, e.g. {\"to\": \"$$To\", \"text\": \"$$Body\"}.");
            return;
        }
        var sample = PlaceholderTemplate.Parse(template).Render(_ => "x");
        try
        {
            if (JsonNode.Parse(sample) is not JsonObject and not JsonArray)
            {
                error("settings.jsonTemplate", "jsonTemplate must be a JSON object or array.");
            }
        }
        catch (JsonException ex)
        {
            error("settings.jsonTemplate",
                $"jsonTemplate is not valid JSON once placeholders are substituted ({ex.Message}). Put each placeholder inside a JSON string, e.g. \"to\": \"$$To\".");
        }
    }

    private static void ValidateResponseRules(ResponseRules? rules, Action<string, string> error)
    {
        if (rules is null)
        {
            return;
        }
        void Regex(string? pattern, string name)
        {
            if (string.IsNullOrEmpty(pattern))
            {
                return;
            }
            try
            {
                _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException ex)
            {
                error($"settings.response.{name}", $"Not a valid regular expression: {ex.Message}");
            }
        }
        Regex(rules.SuccessPattern, "successPattern");
        Regex(rules.PermanentFailurePattern, "permanentFailurePattern");
        Regex(rules.TransientFailurePattern, "transientFailurePattern");
        Regex(rules.MessageIdPattern, "messageIdPattern");
        if (!string.IsNullOrEmpty(rules.MessageIdPattern) && !rules.MessageIdPattern.Contains('(', StringComparison.Ordinal))
        {
            error("settings.response.messageIdPattern", "messageIdPattern needs a capture group around the id, e.g. \"id\":\"([^\"]+)\".");
        }
        if (!string.IsNullOrEmpty(rules.MessageIdPath) && !JsonPath.IsValid(rules.MessageIdPath))
        {
            error("settings.response.messageIdPath", "messageIdPath must be a dot path such as data[0].message_id.");
        }
    }
}
