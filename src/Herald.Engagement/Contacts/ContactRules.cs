using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Core.Phones;
using Herald.Dispatch.Intake;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Contacts;

/// <summary>A contact as a caller gives it (the API's body, a CSV row, a Segment identify), before it is checked.</summary>
public sealed record ContactInput
{
    /// <summary>A number in E.164, or national with <see cref="CountryCode"/> or Herald:DefaultCountry.</summary>
    public string? Phone { get; init; }
    /// <summary>The calling code of a national <see cref="Phone"/>.</summary>
    public string? CountryCode { get; init; }
    /// <summary>The business's own id for the contact.</summary>
    public string? ExternalId { get; init; }
    /// <summary>Strings, numbers, booleans and ISO dates; a null removes the attribute.</summary>
    public JsonObject? Attributes { get; init; }
    /// <summary>IANA time zone.</summary>
    public string? Timezone { get; init; }
    /// <summary>Locale, e.g. en-IN.</summary>
    public string? Locale { get; init; }
    /// <summary>Per category: <c>true</c>/<c>false</c>, or <c>{"granted", "source", "at"}</c>.</summary>
    public JsonObject? Consent { get; init; }
}

/// <summary>Checks contact input and turns it into the store's <see cref="ContactChange"/>: the rules every way in shares.</summary>
public sealed class ContactRules(IOptions<IntakeOptions> intake, TimeProvider time)
{
    /// <summary>The consent categories.</summary>
    public static IReadOnlyList<string> Categories { get; } = ["promotional", "transactional", "service"];

    private const int MaxAttributes = 200;
    private const int MaxText = 1000;
    private const int ZonePrefix = 8;
    private const int MaxCachedZones = 100_000;
    private readonly ConcurrentDictionary<string, bool> _zones = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string?> _defaultZones = new(StringComparer.Ordinal);

    /// <summary>Parses a number as the message intake does (E.164, 00-prefixed, or national with a calling code or Herald:DefaultCountry).</summary>
    public bool TryPhone(string? number, string? countryCode, out PhoneNumber? phone, out string? error) =>
        PhoneNumber.TryParse(number, string.IsNullOrWhiteSpace(countryCode) ? intake.Value.DefaultCountry : countryCode, out phone, out error);

    /// <summary>Whether <paramref name="zone"/> is an IANA time zone id this machine knows (Windows ids are refused).</summary>
    public bool IsTimeZone(string zone) => _zones.GetOrAdd(zone, static z => TimeZoneInfo.TryFindSystemTimeZoneById(z, out var found) && found.HasIanaId);

    /// <summary>
    /// Checks <paramref name="input"/>; on success returns the change, else null with the problems in <paramref name="errors"/>
    /// (field path → message). Consent given as a plain boolean is recorded with <paramref name="source"/> and now.
    /// </summary>
    public ContactChange? Check(ContactInput input, string source, IDictionary<string, string> errors)
    {
        PhoneNumber? phone = null;
        if (!string.IsNullOrWhiteSpace(input.Phone))
        {
            if (!TryPhone(input.Phone, input.CountryCode, out phone, out var error))
            {
                errors["phone"] = error!;
            }
        }
        var externalId = string.IsNullOrWhiteSpace(input.ExternalId) ? null : input.ExternalId.Trim();
        if (externalId is { Length: > 255 })
        {
            errors["externalId"] = "externalId is at most 255 characters.";
        }
        if (string.IsNullOrWhiteSpace(input.Phone) && externalId is null)
        {
            errors["phone"] = "A contact needs a phone (E.164, e.g. +919812345678) or an externalId.";
        }
        string? zone = null;
        if (!string.IsNullOrWhiteSpace(input.Timezone))
        {
            zone = input.Timezone.Trim();
            if (!IsTimeZone(zone))
            {
                errors["timezone"] = $"'{zone}' is not an IANA time zone: use a name such as Asia/Kolkata or America/New_York.";
            }
        }
        var locale = string.IsNullOrWhiteSpace(input.Locale) ? null : input.Locale.Trim();
        if (locale is { Length: > 35 })
        {
            errors["locale"] = "locale is a language tag such as en-IN (at most 35 characters).";
        }
        var attributes = CheckAttributes(input.Attributes, errors);
        var consents = CheckConsent(input.Consent, source, errors);
        if (errors.Count > 0)
        {
            return null;
        }
        var region = phone?.RegionCode;
        return new ContactChange
        {
            Phone = phone?.E164,
            ExternalId = externalId,
            Country = region is null or "ZZ" ? null : region,
            Timezone = zone,
            DefaultTimezone = phone is null ? null : DefaultZone(phone),
            Locale = locale,
            Attributes = attributes,
            Consents = consents,
        };
    }

    /// <summary>
    /// The number's first zone from libphonenumber, remembered per leading digits: its time zone data is keyed by the country
    /// code and area code (far shorter than 7 digits), and the lookup costs more than parsing the number, which an import of a
    /// million rows feels.
    /// </summary>
    private string? DefaultZone(PhoneNumber phone)
    {
        if (phone.E164.Length <= ZonePrefix)
        {
            return phone.DefaultTimeZone();
        }
        var prefix = phone.E164[..ZonePrefix];
        if (_defaultZones.TryGetValue(prefix, out var zone))
        {
            return zone;
        }
        zone = phone.DefaultTimeZone();
        if (_defaultZones.Count < MaxCachedZones)
        {
            _defaultZones[prefix] = zone;
        }
        return zone;
    }

    private static JsonObject? CheckAttributes(JsonObject? attributes, IDictionary<string, string> errors)
    {
        if (attributes is null || attributes.Count == 0)
        {
            return null;
        }
        if (attributes.Count > MaxAttributes)
        {
            errors["attributes"] = $"A contact has at most {MaxAttributes} attributes.";
            return null;
        }
        foreach (var (key, value) in attributes)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > 100)
            {
                errors["attributes"] = "Attribute names are 1 to 100 characters.";
                continue;
            }
            switch (value?.GetValueKind())
            {
                case null or JsonValueKind.Null or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                    break;
                case JsonValueKind.String when value.GetValue<string>().Length > MaxText:
                    errors[$"attributes.{key}"] = $"A text attribute is at most {MaxText} characters.";
                    break;
                case JsonValueKind.String:
                    break;
                default:
                    errors[$"attributes.{key}"] = $"'{key}' is {(value.GetValueKind() == JsonValueKind.Array ? "a list" : "an object")}: an attribute is a string, a number, a boolean or an ISO date such as \"2025-01-31\" (null removes it).";
                    break;
            }
        }
        return attributes;
    }

    private List<ConsentRecord> CheckConsent(JsonObject? consent, string source, IDictionary<string, string> errors)
    {
        var records = new List<ConsentRecord>();
        if (consent is null)
        {
            return records;
        }
        var now = time.GetUtcNow();
        foreach (var (category, value) in consent)
        {
            var path = $"consent.{category}";
            if (!Categories.Contains(category))
            {
                errors[path] = $"'{category}' is not a consent category: use {string.Join(", ", Categories)}.";
                continue;
            }
            switch (value?.GetValueKind())
            {
                case JsonValueKind.True or JsonValueKind.False:
                    records.Add(new ConsentRecord(category, value.GetValue<bool>(), source, now));
                    break;
                case JsonValueKind.Object:
                    var o = value.AsObject();
                    if (o["granted"]?.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        errors[path] = $"{path}.granted must be true or false.";
                        break;
                    }
                    var at = now;
                    if (o["at"] is { } atNode && (atNode.GetValueKind() != JsonValueKind.String || !DateTimeOffset.TryParse(atNode.GetValue<string>(),
                            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out at)))
                    {
                        errors[path] = $"{path}.at must be an ISO 8601 time such as 2025-01-31T10:00:00Z.";
                        break;
                    }
                    var from = o["source"]?.GetValueKind() == JsonValueKind.String ? o["source"]!.GetValue<string>().Trim() : source;
                    records.Add(new ConsentRecord(category, o["granted"]!.GetValue<bool>(), from.Length is 0 or > 100 ? source : from, at));
                    break;
                default:
                    errors[path] = $"{path} is true, false or {{\"granted\": true, \"source\": \"web-form\", \"at\": \"2025-01-31T10:00:00Z\"}}.";
                    break;
            }
        }
        return records;
    }
}
