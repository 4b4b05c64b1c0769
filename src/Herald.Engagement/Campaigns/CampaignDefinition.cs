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
    /// <summary>A/B: up to 3 bodies with the share of the audience each gets, instead of <see cref="Body"/>.</summary>
    public IReadOnlyList<CampaignVariant>? Variants { get; init; }

    /// <summary>A/B: try the variants on a share of the audience first and send the rest the best one.</summary>
    public CampaignAbTest? AbTest { get; init; }

    /// <summary>What counts as a conversion: an event and the attribution window.</summary>
    public CampaignGoal? Goal { get; init; }

    /// <summary>The percentage of the audience held out as this campaign's control group (0 to 99; default none).</summary>
    public double? ControlPercent { get; init; }

    /// <summary>Whether the global control group (<c>Herald:Campaigns:GlobalControlPercent</c>) is held out of this campaign (default true).</summary>
    public bool? GlobalControl { get; init; }

    /// <summary>The bodies this campaign sends: its variants, or its one body.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<CampaignVariant> EffectiveVariants =>
        Variants is { Count: > 0 } variants ? variants : [new CampaignVariant { Name = "A", Body = Body, TemplateId = TemplateId, Percent = 100 }];

    /// <summary>The name of variant <paramref name="index"/> (its own, or A, B, C).</summary>
    public string VariantName(int index) =>
        EffectiveVariants.ElementAtOrDefault(index)?.Name is { Length: > 0 } name ? name : ((char)('A' + Math.Clamp(index, 0, 25))).ToString();

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
        if (Variants is not null)
        {
            ValidateVariants(errors);
        }
        else if (string.IsNullOrWhiteSpace(Body) && string.IsNullOrWhiteSpace(TemplateId))
        {
            errors["body"] = ["Give the message text in body, or a templateId."];
        }
        AbTest?.Validate(errors, Variants?.Count ?? 0, Goal is not null);
        Goal?.Validate(errors);
        if (ControlPercent is < 0 or >= 100 || ControlPercent is double.NaN)
        {
            errors["controlPercent"] = ["controlPercent is the share of the audience held out, from 0 to 99, e.g. 10 for 10 %."];
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

    private void ValidateVariants(Dictionary<string, string[]> errors)
    {
        if (Variants!.Count is < 2 or > 3)
        {
            errors["variants"] = ["An A/B test has 2 or 3 variants; for one message use body instead."];
            return;
        }
        if (!string.IsNullOrWhiteSpace(Body))
        {
            errors["body"] = ["Give body or variants, not both: with variants each variant has its own body."];
        }
        for (var i = 0; i < Variants.Count; i++)
        {
            var variant = Variants[i];
            if (variant is null)
            {
                errors[$"variants[{i}]"] = ["Each variant is an object: {\"body\": \"…\", \"percent\": 50}."];
                continue;
            }
            if (string.IsNullOrWhiteSpace(variant.Body) && string.IsNullOrWhiteSpace(variant.TemplateId ?? TemplateId))
            {
                errors[$"variants[{i}].body"] = ["Give each variant its message text in body (or a templateId)."];
            }
            if (variant.Name is { Length: > 40 })
            {
                errors[$"variants[{i}].name"] = ["A variant's name is at most 40 characters."];
            }
            if (variant.Percent is not (> 0 and <= 100))
            {
                errors[$"variants[{i}].percent"] = ["Each variant gets a share of the audience above 0, e.g. 50 for 50 %."];
            }
        }
        if (Variants.All(v => v?.Percent is > 0 and <= 100) && Math.Abs(Variants.Sum(v => v!.Percent!.Value) - 100) > 0.001)
        {
            errors["variants"] = [$"The variants' percents add up to {Variants.Sum(v => v!.Percent!.Value):0.##}: make them add up to 100."];
        }
        var names = Variants.Select((v, i) => v?.Name is { Length: > 0 } n ? n : ((char)('A' + i)).ToString()).ToList();
        if (names.Distinct(StringComparer.OrdinalIgnoreCase).Count() != names.Count)
        {
            errors["variants"] = ["Give the variants different names (or leave the names out: A, B, C)."];
        }
    }
}

/// <summary>One A/B body and the share of the audience (or of the test phase) that gets it.</summary>
public sealed record CampaignVariant
{
    /// <summary>What the report calls it (default A, B, C).</summary>
    public string? Name { get; init; }

    /// <summary>The text (Liquid, like the campaign's body).</summary>
    public string? Body { get; init; }

    /// <summary>The DLT template of this body (default: the campaign's <c>templateId</c>).</summary>
    public string? TemplateId { get; init; }

    /// <summary>The share, in percent; the variants' shares add up to 100.</summary>
    public double? Percent { get; init; }
}

/// <summary>An A/B test phase: the variants go to a share of the audience; after a wait the rest gets the best one.</summary>
public sealed record CampaignAbTest
{
    /// <summary>The share of the audience (after the control group) in the test phase, in percent (1 to 99).</summary>
    public double? TestPercent { get; init; }

    /// <summary>How long after the test phase was sent to wait for clicks or conversions before choosing (default 24 hours).</summary>
    public double? WaitHours { get; init; }

    /// <summary><c>clicks</c> (default) or <c>conversions</c> (needs a goal): the rate that picks the winner.</summary>
    public string? WinnerBy { get; init; }

    /// <summary>The wait.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public TimeSpan Wait => TimeSpan.FromHours(WaitHours ?? 24);

    /// <summary>clicks or conversions.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string EffectiveWinnerBy => WinnerBy?.Trim().ToLowerInvariant() ?? "clicks";

    internal void Validate(Dictionary<string, string[]> errors, int variants, bool hasGoal)
    {
        if (variants < 2)
        {
            errors["abTest"] = ["An A/B test phase needs variants: list 2 or 3 in variants."];
        }
        if (TestPercent is not (>= 1 and <= 99))
        {
            errors["abTest.testPercent"] = ["abTest.testPercent is the share of the audience that tests the variants, from 1 to 99, e.g. 20."];
        }
        if (WaitHours is not null and not (>= 0.01 and <= 720))
        {
            errors["abTest.waitHours"] = ["abTest.waitHours is how long to wait for results before choosing, from 0.01 to 720 hours (default 24)."];
        }
        if (EffectiveWinnerBy is not ("clicks" or "conversions"))
        {
            errors["abTest.winnerBy"] = [$"abTest.winnerBy is clicks or conversions, not '{WinnerBy}'."];
        }
        else if (EffectiveWinnerBy == "conversions" && !hasGoal)
        {
            errors["abTest.winnerBy"] = ["A winner by conversions needs a goal: add goal.event (e.g. \"checkout_completed\")."];
        }
    }
}

/// <summary>A campaign's conversion goal: the event, and how long after delivery or a click it counts.</summary>
public sealed record CampaignGoal
{
    /// <summary>The default attribution window: 3 days.</summary>
    public const double DefaultWindowHours = 72;

    /// <summary>The event name (a track call's <c>event</c>), e.g. <c>checkout_completed</c>.</summary>
    public string? Event { get; init; }

    /// <summary>How long after the message was delivered or clicked the event counts (default 72 hours).</summary>
    public double? WindowHours { get; init; }

    /// <summary>The attribution window.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public TimeSpan Window => TimeSpan.FromHours(WindowHours ?? DefaultWindowHours);

    internal void Validate(Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(Event) || Event.Length > 200)
        {
            errors["goal.event"] = ["goal.event names the event that counts as a conversion (at most 200 characters), e.g. \"checkout_completed\"."];
        }
        if (WindowHours is not null and not (> 0 and <= 8760))
        {
            errors["goal.windowHours"] = ["goal.windowHours is the attribution window, above 0 and at most 8,760 hours (a year); default 72."];
        }
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
