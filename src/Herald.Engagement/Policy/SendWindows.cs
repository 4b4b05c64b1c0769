using Herald.Core.Phones;

namespace Herald.Engagement.Policy;

/// <summary>Message categories as DLT names them (compliance.md); consent is kept per promotional, transactional and service.</summary>
public static class MessageCategories
{
    /// <summary>Marketing.</summary>
    public const string Promotional = "promotional";
    /// <summary>OTPs, alerts the recipient expects.</summary>
    public const string Transactional = "transactional";
    /// <summary>Service messages that need no consent (DLT service-implicit).</summary>
    public const string ServiceImplicit = "service-implicit";
    /// <summary>Service messages that need explicit consent (DLT service-explicit).</summary>
    public const string ServiceExplicit = "service-explicit";

    /// <summary>Every DLT category.</summary>
    public static IReadOnlyList<string> All { get; } = [Promotional, Transactional, ServiceImplicit, ServiceExplicit];

    /// <summary>The consent (and suppression) category a message category falls under.</summary>
    public static string ConsentCategory(string category) => category switch
    {
        Promotional => "promotional",
        Transactional => "transactional",
        _ => "service",
    };
}

/// <summary>
/// Sending windows: the legal window by country and category (India promotional and service-explicit 10:00-21:00 IST, US
/// marketing 08:00-21:00 recipient local time) and quiet hours. A message outside its window is deferred to the next allowed
/// minute, never dropped.
/// </summary>
public static class SendWindows
{
    private static readonly TimeOnly IndiaStart = new(10, 0);
    private static readonly TimeOnly IndiaEnd = new(21, 0);
    private static readonly TimeOnly UsStart = new(8, 0);
    private static readonly TimeOnly UsEnd = new(21, 0);

    /// <summary>India Standard Time.</summary>
    public static TimeZoneInfo India { get; } = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");

    /// <summary>
    /// The legal window that applies to a message, if any: its start and end in <c>Zone</c>, and a sentence naming the rule.
    /// </summary>
    public static (TimeOnly Start, TimeOnly End, TimeZoneInfo Zone, string Rule)? LegalWindow(string region, string category, TimeZoneInfo recipientZone) =>
        (region, category) switch
        {
            ("IN", MessageCategories.Promotional or MessageCategories.ServiceExplicit) =>
                (IndiaStart, IndiaEnd, India, $"India allows {category} SMS only 10:00-21:00 IST (TRAI; operators reject others with error 651)"),
            ("US", MessageCategories.Promotional) =>
                (UsStart, UsEnd, recipientZone, $"US marketing texts only 08:00-21:00 in the recipient's time ({recipientZone.Id}; 47 CFR 64.1200(c)(1))"),
            _ => null,
        };

    /// <summary>
    /// Null when <paramref name="now"/> is inside the window <c>[start, end)</c> in <paramref name="zone"/> (the window may wrap
    /// midnight); otherwise the next instant the window opens.
    /// </summary>
    public static DateTimeOffset? NextOpen(DateTimeOffset now, TimeZoneInfo zone, TimeOnly start, TimeOnly end)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var time = TimeOnly.FromDateTime(local.DateTime);
        var inside = start < end ? time >= start && time < end : time >= start || time < end;
        if (inside)
        {
            return null;
        }
        var date = time < start ? local.Date : local.Date.AddDays(1);
        var opening = date + start.ToTimeSpan();
        // A start that falls in a daylight-saving gap does not exist: the first minute after the gap opens the window.
        while (zone.IsInvalidTime(opening))
        {
            opening = opening.AddMinutes(1);
        }
        return new DateTimeOffset(opening, zone.GetUtcOffset(opening));
    }

    /// <summary>
    /// The time zone of a recipient: the contact's IANA zone when it is known and valid, else the first zone libphonenumber
    /// gives for the number (as contacts default it), else UTC.
    /// </summary>
    public static TimeZoneInfo ZoneOf(string e164, string? contactZone)
    {
        if (!string.IsNullOrWhiteSpace(contactZone) && TimeZoneInfo.TryFindSystemTimeZoneById(contactZone, out var zone))
        {
            return zone;
        }
        if (PhoneNumber.FromStoredE164(e164).RegionCode == "IN")
        {
            return India;
        }
        try
        {
            var util = PhoneNumbers.PhoneNumberUtil.GetInstance();
            var parsed = util.Parse(e164, null);
            foreach (var id in PhoneNumbers.PhoneNumberToTimeZonesMapper.GetInstance().GetTimeZonesForNumber(parsed))
            {
                if (TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found))
                {
                    return found;
                }
            }
        }
        catch (PhoneNumbers.NumberParseException)
        {
            // not a number libphonenumber reads: UTC
        }
        return TimeZoneInfo.Utc;
    }
}
