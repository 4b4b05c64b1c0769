using System.Globalization;
using Herald.Core.Messaging;

namespace Herald.Engagement.Campaigns;

/// <summary>What a campaign sends, to whom, when and how fast: the body of <c>POST /api/v1/campaigns</c>, stored as JSON.</summary>
public sealed record CampaignDefinition
{
    /// <summary>The name people know it by.</summary>
    public string? Name { get; init; }

    /// <summary>The audience: a segment's members when it launches.</summary>
    public string? SegmentId { get; init; }

    /// <summary>The audience: these contacts.</summary>
    public IReadOnlyList<string>? ContactIds { get; init; }

    /// <summary>The audience: every contact with a number.</summary>
    public bool? AllContacts { get; init; }

    /// <summary>A provider id or nickname; may be left out when exactly one provider exists.</summary>
    public string? Provider { get; init; }

    /// <summary>A provider group id or name, instead of <see cref="Provider"/>.</summary>
    public string? ProviderGroup { get; init; }

    /// <summary>The text (Liquid: <c>{{ contact.first_name | default: "there" }}</c>).</summary>
    public string? Body { get; init; }

    /// <summary>mkt (default), txn or default.</summary>
    public string? Type { get; init; }

    /// <summary>Sender id.</summary>
    public string? Sender { get; init; }

    /// <summary>DLT template id (needed for +91 recipients).</summary>
    public string? TemplateId { get; init; }

    /// <summary>When it goes; null = as soon as it is launched.</summary>
    public CampaignSchedule? Schedule { get; init; }

    /// <summary>How fast it goes; null = as fast as the providers take it.</summary>
    public CampaignThrottle? Throttle { get; init; }

    /// <summary>Recipients not sent by then are cancelled.</summary>
    public DateTimeOffset? EndAt { get; init; }

    /// <summary>Pause the campaign when more than this share of finished messages failed (0 to 1; default 0.2; 1 = never).</summary>
    public double? StopOnErrorRate { get; init; }

    /// <summary>How many messages must have finished before <see cref="StopOnErrorRate"/> is judged (default 200).</summary>
    public int? StopOnErrorAfter { get; init; }

    /// <summary>The campaign's own frequency caps and quiet hours for the send-path policy; null = the server's.</summary>
    public CampaignPolicy? Policy { get; init; }

    /// <summary>The message type to send with.</summary>
    public string EffectiveType => MessageTypes.Normalize(Type ?? MessageTypes.Marketing) ?? MessageTypes.Marketing;

    /// <summary>Checks the definition; the errors by field, or none.</summary>
    public Dictionary<string, string[]> Validate(DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            errors["name"] = ["Give the campaign a name, e.g. \"Diwali offer\"."];
        }
        else if (Name.Length > 200)
        {
            errors["name"] = ["The name is longer than 200 characters."];
        }
        var audiences = (SegmentId is not null ? 1 : 0) + (ContactIds is not null ? 1 : 0) + (AllContacts == true ? 1 : 0);
        if (audiences != 1)
        {
            errors["audience"] = ["Say who receives it with exactly one of segmentId, contactIds or allContacts: true."];
        }
        else if (ContactIds is { Count: 0 })
        {
            errors["contactIds"] = ["contactIds is empty: list at least one contact id."];
        }
        else if (ContactIds is { Count: > 100_000 })
        {
            errors["contactIds"] = ["contactIds lists more than 100,000 contacts: put them in a segment instead."];
        }
        if (string.IsNullOrWhiteSpace(Body) && string.IsNullOrWhiteSpace(TemplateId))
        {
            errors["body"] = ["Give the message text in body, or a templateId."];
        }
        if (MessageTypes.Normalize(Type ?? MessageTypes.Marketing) is not (MessageTypes.Marketing or MessageTypes.Transactional or MessageTypes.Default))
        {
            errors["type"] = [$"type '{Type}' is not for campaigns: use mkt, txn or default (OTPs are sent one by one through /api/v1/messages)."];
        }
        if (!string.IsNullOrWhiteSpace(Provider) && !string.IsNullOrWhiteSpace(ProviderGroup))
        {
            errors["providerGroup"] = ["Give provider or providerGroup, not both."];
        }
        Schedule?.Validate(errors, now);
        Throttle?.Validate(errors);
        Policy?.Validate(errors);
        if (EndAt is { } end && end <= now)
        {
            errors["endAt"] = [$"endAt {end:O} has passed: give a time in the future, or leave it out."];
        }
        if (StopOnErrorRate is < 0 or > 1 || StopOnErrorRate is double.NaN)
        {
            errors["stopOnErrorRate"] = ["stopOnErrorRate is a share between 0 and 1, e.g. 0.2 for 20 %."];
        }
        if (StopOnErrorAfter is < 1)
        {
            errors["stopOnErrorAfter"] = ["stopOnErrorAfter must be at least 1."];
        }
        return errors;
    }
}

/// <summary>When a campaign goes: at an instant, or at a local time of day on a date in each recipient's own time zone.</summary>
public sealed record CampaignSchedule
{
    /// <summary>The instant to start.</summary>
    public DateTimeOffset? At { get; init; }

    /// <summary>A time of day (HH:mm) in each recipient's time zone (contacts without one: UTC).</summary>
    public string? LocalTime { get; init; }

    /// <summary>The date for <see cref="LocalTime"/> (yyyy-MM-dd).</summary>
    public string? Date { get; init; }

    internal TimeOnly? ParsedLocalTime => TimeOnly.TryParseExact(LocalTime, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;

    internal DateOnly? ParsedDate => DateOnly.TryParseExact(Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;

    internal void Validate(Dictionary<string, string[]> errors, DateTimeOffset now)
    {
        if (At is not null && (LocalTime is not null || Date is not null))
        {
            errors["schedule"] = ["Give schedule.at (an instant) or schedule.localTime with schedule.date, not both."];
        }
        else if (LocalTime is not null || Date is not null)
        {
            if (ParsedLocalTime is null)
            {
                errors["schedule.localTime"] = [$"schedule.localTime '{LocalTime}' is not a time of day: write HH:mm, e.g. \"10:30\"."];
            }
            if (ParsedDate is null)
            {
                errors["schedule.date"] = [$"schedule.date '{Date}' is not a date: write yyyy-MM-dd, e.g. \"2026-12-24\"."];
            }
        }
        else if (At is { } at && at > now.AddYears(1))
        {
            errors["schedule.at"] = ["schedule.at is more than a year away."];
        }
    }

    /// <summary>The instant <see cref="LocalTime"/> on <see cref="Date"/> falls on in <paramref name="timezone"/> (UTC when unknown).</summary>
    internal DateTimeOffset LocalInstant(string? timezone)
    {
        var local = ParsedDate!.Value.ToDateTime(ParsedLocalTime!.Value, DateTimeKind.Unspecified);
        var zone = TimeZoneInfo.Utc;
        if (timezone is not null && TimeZoneInfo.TryFindSystemTimeZoneById(timezone, out var found))
        {
            zone = found;
        }
        // A local time skipped by a clock change is taken an hour later, when it exists again.
        if (zone.IsInvalidTime(local))
        {
            local = local.AddHours(1);
        }
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}

/// <summary>How fast a campaign goes (CleverTap offers per second and per 5 minutes).</summary>
public sealed record CampaignThrottle
{
    /// <summary>At most this many messages a second.</summary>
    public double? PerSecond { get; init; }

    /// <summary>At most this many messages in 5 minutes.</summary>
    public double? Per5Minutes { get; init; }

    /// <summary>Messages a second.</summary>
    internal double Rate => PerSecond ?? Per5Minutes!.Value / 300;

    internal void Validate(Dictionary<string, string[]> errors)
    {
        if ((PerSecond is null) == (Per5Minutes is null))
        {
            errors["throttle"] = ["Give throttle.perSecond or throttle.per5Minutes (one of them)."];
        }
        else if (PerSecond is <= 0 or > 100_000 || Per5Minutes is <= 0 or > 30_000_000)
        {
            errors["throttle"] = ["The throttle must be above 0 and at most 100,000 messages a second."];
        }
    }
}
