using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Herald.Core.Messaging;
using Herald.Engagement.Segments;

namespace Herald.Engagement.Journeys;

/// <summary>A journey: the body of <c>POST /api/v1/journeys</c>, stored as JSON (see docs/journeys.md).</summary>
public sealed record JourneyDefinition
{
    /// <summary>The most nodes one journey may have.</summary>
    public const int MaxNodes = 100;

    /// <summary>The name people know it by.</summary>
    public string? Name { get; init; }

    /// <summary>Who may enter again: once, everyTime (the default) or afterHours.</summary>
    public JourneyReEntry? ReEntry { get; init; }

    /// <summary>The journey's goal: its event exits the contact wherever it is and counts a conversion.</summary>
    public JourneyGoalDefinition? Goal { get; init; }

    /// <summary>The nodes; exactly one is the trigger.</summary>
    public IReadOnlyList<JourneyNode>? Nodes { get; init; }

    /// <summary>The trigger node.</summary>
    [JsonIgnore]
    public JourneyNode Trigger => Nodes!.First(n => n.Type == JourneyNodeTypes.Trigger);

    /// <summary>A node by id.</summary>
    public JourneyNode? Node(string id) => Nodes?.FirstOrDefault(n => n.Id == id);

    /// <summary>The segment whose new members enter (the trigger's <c>segment</c>), or null when an event triggers the journey.</summary>
    [JsonIgnore]
    public string? TriggerSegment => Nodes?.FirstOrDefault(n => n?.Type == JourneyNodeTypes.Trigger)?.Segment;

    /// <summary>Every event name the journey listens to (trigger, waits, goal).</summary>
    public IReadOnlyCollection<string> EventNames() =>
        [.. (Nodes ?? []).Where(n => n.Type is JourneyNodeTypes.Trigger or JourneyNodeTypes.WaitForEvent).Select(n => n.Event).Append(Goal?.Event)
            .OfType<string>().Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// Checks the definition; the errors by field (e.g. <c>nodes[2].timeout</c>), or none. <paramref name="segmentExists"/>
    /// says whether a segment id (a segment trigger's or branch's) names a saved segment; left out, any id passes.
    /// </summary>
    public Dictionary<string, string[]> Validate(Func<string, string?>? checkTemplate = null, Func<string, bool>? segmentExists = null)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Name))
        {
            errors["name"] = ["Give the journey a name, e.g. \"Abandoned cart\"."];
        }
        else if (Name.Length > 200)
        {
            errors["name"] = ["The name is longer than 200 characters."];
        }
        ReEntry?.Validate(errors);
        Goal?.Validate(errors);
        if (Nodes is not { Count: > 0 })
        {
            errors["nodes"] = ["List the nodes: a trigger, then what happens (delay, waitForEvent, branch, sendSms, webhook, exit)."];
            return errors;
        }
        if (Nodes.Count > MaxNodes)
        {
            errors["nodes"] = [$"A journey has at most {MaxNodes} nodes, not {Nodes.Count}."];
            return errors;
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Nodes.Count; i++)
        {
            var node = Nodes[i];
            var at = $"nodes[{i}]";
            if (node is null)
            {
                errors[at] = ["A node is an object with an id and a type."];
                continue;
            }
            if (string.IsNullOrWhiteSpace(node.Id) || node.Id.Length > 64 || node.Id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
            {
                errors[at + ".id"] = ["Each node has an id of letters, digits, _ and - (at most 64), e.g. \"wait_checkout\"."];
            }
            else if (!ids.Add(node.Id))
            {
                errors[at + ".id"] = [$"The id '{node.Id}' is used by two nodes: ids are unique."];
            }
            node.Validate(at, errors, checkTemplate);
            if (node.Segment is { Length: > 0 and <= 100 } segment && segmentExists is not null && !segmentExists(segment))
            {
                errors[at + ".segment"] = [$"No segment has the id '{segment}': use the id of a saved segment (GET /api/v1/segments), e.g. \"seg_…\"."];
            }
        }
        if (errors.Keys.Any(k => k.StartsWith("nodes", StringComparison.Ordinal)))
        {
            return errors;
        }
        var triggers = Nodes.Count(n => n.Type == JourneyNodeTypes.Trigger);
        if (triggers != 1)
        {
            errors["nodes"] = [$"A journey has exactly one trigger node, not {triggers}."];
            return errors;
        }
        for (var i = 0; i < Nodes.Count; i++)
        {
            foreach (var (field, target) in Nodes[i].Exits())
            {
                if (target is null)
                {
                    errors[$"nodes[{i}].{field}"] = [$"Say where '{Nodes[i].Id}' goes next in {field}: a node id."];
                }
                else if (!ids.Contains(target))
                {
                    errors[$"nodes[{i}].{field}"] = [$"{field} names '{target}', which is not a node of this journey."];
                }
                else if (Node(target)!.Type == JourneyNodeTypes.Trigger)
                {
                    errors[$"nodes[{i}].{field}"] = [$"{field} goes back to the trigger: a contact enters only through the trigger (an event or entering a segment)."];
                }
            }
        }
        if (Trigger.Segment is not null)
        {
            // A segment entry has no event properties, so nothing could ever equal them.
            for (var i = 0; i < Nodes.Count; i++)
            {
                if (Nodes[i].MatchTrigger is { Count: > 0 })
                {
                    errors[$"nodes[{i}].matchTrigger"] = ["The trigger is entering a segment, which has no event properties to match: leave matchTrigger out."];
                }
            }
            if (Goal?.MatchTrigger is { Count: > 0 })
            {
                errors["goal.matchTrigger"] = ["The trigger is entering a segment, which has no event properties to match: leave matchTrigger out."];
            }
        }
        if (errors.Count == 0 && Cycle() is { } cycle)
        {
            errors["nodes"] = [$"The nodes go round in a circle ({cycle}): a journey runs forward to an exit."];
        }
        return errors;
    }

    /// <summary>A loop among the nodes, as "a → b → a", or null.</summary>
    private string? Cycle()
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        string? Visit(string id)
        {
            if (state.GetValueOrDefault(id) == 1)
            {
                return string.Join(" → ", path.SkipWhile(p => p != id).Append(id));
            }
            if (state.GetValueOrDefault(id) == 2)
            {
                return null;
            }
            state[id] = 1;
            path.Add(id);
            foreach (var (_, next) in Node(id)!.Exits())
            {
                if (Visit(next!) is { } found)
                {
                    return found;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[id] = 2;
            return null;
        }
        return Nodes!.Select(n => Visit(n.Id!)).FirstOrDefault(c => c is not null);
    }
}

/// <summary>Node types.</summary>
public static class JourneyNodeTypes
{
    /// <summary>Where contacts enter: an event with property filters, or entering a segment.</summary>
    public const string Trigger = "trigger";
    /// <summary>A pause: a duration, until a local time of day, or until an attribute's date.</summary>
    public const string Delay = "delay";
    /// <summary>Waits for an event, with a timeout; two exits.</summary>
    public const string WaitForEvent = "waitForEvent";
    /// <summary>Two ways on: an attribute test, segment membership or a random share.</summary>
    public const string Branch = "branch";
    /// <summary>Sends an SMS through the send-path policy.</summary>
    public const string SendSms = "sendSms";
    /// <summary>Posts a webhook through the outbox.</summary>
    public const string Webhook = "webhook";
    /// <summary>The end.</summary>
    public const string Exit = "exit";

    /// <summary>All of them.</summary>
    public static readonly string[] All = [Trigger, Delay, WaitForEvent, Branch, SendSms, Webhook, Exit];
}

/// <summary>One node. Which fields apply depends on <see cref="Type"/> (docs/journeys.md).</summary>
public sealed record JourneyNode
{
    /// <summary>Unique within the journey.</summary>
    public string? Id { get; init; }
    /// <summary>One of <see cref="JourneyNodeTypes.All"/>.</summary>
    public string? Type { get; init; }
    /// <summary>The node after this one (trigger, delay, sendSms, webhook).</summary>
    public string? Next { get; init; }

    /// <summary>trigger, waitForEvent: the event's name.</summary>
    public string? Event { get; init; }
    /// <summary>trigger, waitForEvent: conditions on the event's properties (all must hold).</summary>
    public IReadOnlyList<JourneyCondition>? Where { get; init; }
    /// <summary>waitForEvent: properties that must equal the trigger event's (e.g. cart_id).</summary>
    public IReadOnlyList<string>? MatchTrigger { get; init; }
    /// <summary>waitForEvent: how long to wait (ISO 8601, e.g. PT30M).</summary>
    public string? Timeout { get; init; }
    /// <summary>waitForEvent: where to go when the event came.</summary>
    public string? OnEvent { get; init; }
    /// <summary>waitForEvent: where to go when it did not.</summary>
    public string? OnTimeout { get; init; }

    /// <summary>delay: how long (ISO 8601, e.g. PT24H).</summary>
    public string? Duration { get; init; }
    /// <summary>delay: until the next time this local time of day (HH:mm) comes in the contact's time zone (UTC when unknown).</summary>
    public string? UntilLocalTime { get; init; }
    /// <summary>delay: until the date or instant in this contact attribute (ISO 8601); no wait when it is missing or past.</summary>
    public string? UntilAttribute { get; init; }
    /// <summary>delay with untilAttribute: moved by this much before (negative, e.g. -P1D) or after.</summary>
    public string? Offset { get; init; }

    /// <summary>branch: the test on a contact attribute.</summary>
    public JourneyCondition? Attribute { get; init; }
    /// <summary>trigger: a contact enters when it becomes a member of this segment (id); branch: yes when the contact is in this segment.</summary>
    public string? Segment { get; init; }
    /// <summary>trigger with segment: whether the segment's members at publishing enter too (default false: only contacts that become members later).</summary>
    public bool? IncludeExisting { get; init; }
    /// <summary>branch: yes for this share of contacts (0-100, random per instance).</summary>
    public double? RandomPercent { get; init; }
    /// <summary>branch: where yes goes.</summary>
    public string? Yes { get; init; }
    /// <summary>branch: where no goes.</summary>
    public string? No { get; init; }

    /// <summary>sendSms: the text (Liquid; <c>{{ event.properties.cart_url }}</c>, <c>{{ contact.first_name | default: "there" }}</c>).</summary>
    public string? Body { get; init; }
    /// <summary>sendSms: mkt (default), txn or default.</summary>
    public string? MessageType { get; init; }
    /// <summary>sendSms: sender id.</summary>
    public string? Sender { get; init; }
    /// <summary>sendSms: a provider id or nickname (may be left out when exactly one exists).</summary>
    public string? Provider { get; init; }
    /// <summary>sendSms: a provider group, instead of a provider.</summary>
    public string? ProviderGroup { get; init; }
    /// <summary>sendSms: DLT template id (+91).</summary>
    public string? TemplateId { get; init; }

    /// <summary>webhook: where to POST (https).</summary>
    public string? Url { get; init; }

    /// <summary>The message type to send with.</summary>
    [JsonIgnore]
    public string EffectiveMessageType => MessageTypes.Normalize(MessageType ?? MessageTypes.Marketing) ?? MessageTypes.Marketing;

    internal TimeSpan? ParsedTimeout => Timeout is not null && IsoDuration.TryParse(Timeout, out var t, out _) ? t : null;

    internal TimeSpan? ParsedDuration => Duration is not null && IsoDuration.TryParse(Duration, out var t, out _) ? t : null;

    internal TimeOnly? ParsedLocalTime => TimeOnly.TryParseExact(UntilLocalTime, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) ? t : null;

    internal TimeSpan ParsedOffset => Offset is null ? TimeSpan.Zero
        : Offset.StartsWith('-') ? -(IsoDuration.TryParse(Offset[1..], out var minus, out _) ? minus : TimeSpan.Zero)
        : IsoDuration.TryParse(Offset.TrimStart('+'), out var plus, out _) ? plus : TimeSpan.Zero;

    /// <summary>The ways out: (field, node id).</summary>
    public IEnumerable<(string Field, string? Target)> Exits() => Type switch
    {
        JourneyNodeTypes.Trigger or JourneyNodeTypes.Delay or JourneyNodeTypes.SendSms or JourneyNodeTypes.Webhook => [("next", Next)],
        JourneyNodeTypes.WaitForEvent => [("onEvent", OnEvent), ("onTimeout", OnTimeout)],
        JourneyNodeTypes.Branch => [("yes", Yes), ("no", No)],
        _ => [],
    };

    internal void Validate(string at, Dictionary<string, string[]> errors, Func<string, string?>? checkTemplate)
    {
        if (Type is null || !JourneyNodeTypes.All.Contains(Type))
        {
            errors[at + ".type"] = [$"type is one of {string.Join(", ", JourneyNodeTypes.All)}{(Type is null ? "" : $", not '{Type}'")}."];
            return;
        }
        switch (Type)
        {
            case JourneyNodeTypes.Trigger:
                if (Segment is null)
                {
                    CheckEvent(at, errors);
                    if (IncludeExisting is not null)
                    {
                        errors[at + ".includeExisting"] = ["includeExisting goes with a segment trigger (segment: \"seg_…\")."];
                    }
                    break;
                }
                if (Event is not null || Where is not null)
                {
                    errors[at] = ["A trigger is an event (event, where) or entering a segment (segment), not both."];
                }
                else if (string.IsNullOrWhiteSpace(Segment) || Segment.Length > 100)
                {
                    errors[at + ".segment"] = ["Name the segment whose new members enter by its id, e.g. \"seg_…\"."];
                }
                break;
            case JourneyNodeTypes.WaitForEvent:
                CheckEvent(at, errors);
                if (Timeout is null)
                {
                    errors[at + ".timeout"] = ["A wait has a timeout (ISO 8601), e.g. \"PT30M\" for 30 minutes."];
                }
                else if (!IsoDuration.TryParse(Timeout, out _, out var problem))
                {
                    errors[at + ".timeout"] = [problem!];
                }
                if (MatchTrigger is { } match && match.Any(p => string.IsNullOrWhiteSpace(p) || p.Length > 100))
                {
                    errors[at + ".matchTrigger"] = ["matchTrigger lists property names of the trigger event, e.g. [\"cart_id\"]."];
                }
                break;
            case JourneyNodeTypes.Delay:
                var ways = (Duration is not null ? 1 : 0) + (UntilLocalTime is not null ? 1 : 0) + (UntilAttribute is not null ? 1 : 0);
                if (ways != 1)
                {
                    errors[at] = ["A delay has one of duration (\"PT24H\"), untilLocalTime (\"10:00\") or untilAttribute (\"renewal_date\")."];
                }
                else if (Duration is not null && !IsoDuration.TryParse(Duration, out _, out var problem))
                {
                    errors[at + ".duration"] = [problem!];
                }
                else if (UntilLocalTime is not null && ParsedLocalTime is null)
                {
                    errors[at + ".untilLocalTime"] = [$"untilLocalTime '{UntilLocalTime}' is not a time of day: write HH:mm, e.g. \"10:00\"."];
                }
                else if (UntilAttribute is { Length: 0 or > 100 })
                {
                    errors[at + ".untilAttribute"] = ["untilAttribute names a contact attribute holding a date, e.g. \"renewal_date\"."];
                }
                if (Offset is not null && (UntilAttribute is null || !IsoDuration.TryParse(Offset.TrimStart('-', '+'), out _, out _)))
                {
                    errors[at + ".offset"] = ["offset goes with untilAttribute and is an ISO 8601 duration, e.g. \"-P1D\" for a day before."];
                }
                break;
            case JourneyNodeTypes.Branch:
                var tests = (Attribute is not null ? 1 : 0) + (Segment is not null ? 1 : 0) + (RandomPercent is not null ? 1 : 0);
                if (tests != 1)
                {
                    errors[at] = ["A branch tests one of attribute ({\"name\":\"tier\",\"operator\":\"eq\",\"value\":\"gold\"}), segment (an id) or randomPercent (0-100)."];
                }
                else if (RandomPercent is < 0 or > 100 or double.NaN)
                {
                    errors[at + ".randomPercent"] = ["randomPercent is between 0 and 100."];
                }
                Attribute?.Validate(at + ".attribute", errors, requireName: true);
                break;
            case JourneyNodeTypes.SendSms:
                if (string.IsNullOrWhiteSpace(Body) && string.IsNullOrWhiteSpace(TemplateId))
                {
                    errors[at + ".body"] = ["A sendSms node has a body (Liquid), e.g. \"You left {{ event.properties.item_name }} in your cart\"."];
                }
                else if (Body is not null && checkTemplate?.Invoke(Body) is { } templateError)
                {
                    errors[at + ".body"] = [templateError];
                }
                if (MessageTypes.Normalize(MessageType ?? MessageTypes.Marketing) is not (MessageTypes.Marketing or MessageTypes.Transactional or MessageTypes.Default))
                {
                    errors[at + ".messageType"] = [$"messageType '{MessageType}' is not for journeys: use mkt, txn or default."];
                }
                if (!string.IsNullOrWhiteSpace(Provider) && !string.IsNullOrWhiteSpace(ProviderGroup))
                {
                    errors[at + ".providerGroup"] = ["Give provider or providerGroup, not both."];
                }
                break;
            case JourneyNodeTypes.Webhook:
                if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || !(uri.Scheme == "https" || (uri.Scheme == "http" && uri.IsLoopback)) || Url!.Length > 2000)
                {
                    errors[at + ".url"] = ["A webhook node has a url: an absolute https URL, e.g. \"https://example.com/hooks/cart\"."];
                }
                break;
        }
    }

    private void CheckEvent(string at, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(Event) || Event.Length > 200)
        {
            errors[at + ".event"] = ["Name the event (at most 200 characters), e.g. \"added_to_cart\"."];
        }
        for (var i = 0; i < (Where?.Count ?? 0); i++)
        {
            if (Where![i] is null)
            {
                errors[$"{at}.where[{i}]"] = ["A condition is an object: {\"property\":\"currency\",\"operator\":\"eq\",\"value\":\"INR\"}."];
                continue;
            }
            Where[i].Validate($"{at}.where[{i}]", errors, requireName: false);
        }
    }
}

/// <summary>A test on an event property (<c>property</c>) or a contact attribute (<c>name</c>).</summary>
public sealed record JourneyCondition
{
    /// <summary>Operators.</summary>
    public static readonly string[] Operators = ["eq", "ne", "gt", "gte", "lt", "lte", "exists", "contains"];

    /// <summary>The event property (trigger and wait conditions).</summary>
    public string? Property { get; init; }
    /// <summary>The contact attribute (branch).</summary>
    public string? Name { get; init; }
    /// <summary>eq (default), ne, gt, gte, lt, lte, exists, contains.</summary>
    public string? Operator { get; init; }
    /// <summary>The value to compare with (not for exists).</summary>
    public JsonElement? Value { get; init; }

    internal string Op => Operator ?? "eq";

    internal void Validate(string at, Dictionary<string, string[]> errors, bool requireName)
    {
        var field = requireName ? Name : Property;
        if (string.IsNullOrWhiteSpace(field) || field.Length > 100)
        {
            errors[at + (requireName ? ".name" : ".property")] = [requireName
                ? "Name the contact attribute to test, e.g. \"tier\"."
                : "Name the event property to test, e.g. \"currency\"."];
        }
        if (!Operators.Contains(Op))
        {
            errors[at + ".operator"] = [$"operator is one of {string.Join(", ", Operators)}, not '{Operator}'."];
        }
        else if (Op != "exists" && Value is not { ValueKind: JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False })
        {
            errors[at + ".value"] = [$"operator {Op} compares with a value: a string, number or boolean."];
        }
    }

    /// <summary>Whether <paramref name="actual"/> (the property or attribute, absent = null) passes.</summary>
    internal bool Holds(JsonElement? actual)
    {
        if (Op == "exists")
        {
            var exists = actual is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) };
            return Value is { ValueKind: JsonValueKind.False } ? !exists : exists;
        }
        if (actual is not { } a || Value is not { } v)
        {
            return Op == "ne";
        }
        switch (Op)
        {
            case "eq":
                return JourneyValues.Equal(a, v);
            case "ne":
                return !JourneyValues.Equal(a, v);
            case "contains":
                return JourneyValues.Text(a) is { } text && JourneyValues.Text(v) is { } part && text.Contains(part, StringComparison.OrdinalIgnoreCase);
        }
        var order = JourneyValues.Compare(a, v);
        return order is not null && Op switch
        {
            "gt" => order > 0,
            "gte" => order >= 0,
            "lt" => order < 0,
            _ => order <= 0,
        };
    }
}

/// <summary>Who may enter a journey again.</summary>
public sealed record JourneyReEntry
{
    /// <summary>once (ever), everyTime (the default: each trigger event, deduplicated on its messageId) or afterHours.</summary>
    public string? Mode { get; init; }
    /// <summary>afterHours: a contact enters again only when not in the journey and its last entry is at least this many hours ago.</summary>
    public double? Hours { get; init; }

    internal void Validate(Dictionary<string, string[]> errors)
    {
        if (Mode is not ("once" or "everyTime" or "afterHours"))
        {
            errors["reEntry.mode"] = [$"reEntry.mode is once, everyTime or afterHours{(Mode is null ? "" : $", not '{Mode}'")}."];
        }
        else if (Mode == "afterHours" && Hours is not (> 0 and <= 87_600))
        {
            errors["reEntry.hours"] = ["reEntry.hours says how many hours after the last entry a contact may enter again: above 0, e.g. 24."];
        }
        else if (Mode != "afterHours" && Hours is not null)
        {
            errors["reEntry.hours"] = ["reEntry.hours goes with mode afterHours."];
        }
    }
}

/// <summary>A journey's goal.</summary>
public sealed record JourneyGoalDefinition
{
    /// <summary>The default attribution window: 3 days after entering.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(3);

    /// <summary>The goal event, e.g. checkout_completed.</summary>
    public string? Event { get; init; }
    /// <summary>Properties that must equal the trigger event's (e.g. cart_id).</summary>
    public IReadOnlyList<string>? MatchTrigger { get; init; }
    /// <summary>A goal within this long after entering counts as a conversion (ISO 8601; default P3D).</summary>
    public string? AttributionWindow { get; init; }

    internal TimeSpan Window => AttributionWindow is not null && IsoDuration.TryParse(AttributionWindow, out var w, out _) ? w : DefaultWindow;

    internal void Validate(Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(Event) || Event.Length > 200)
        {
            errors["goal.event"] = ["Name the goal event, e.g. \"checkout_completed\"."];
        }
        if (AttributionWindow is not null && !IsoDuration.TryParse(AttributionWindow, out _, out var problem))
        {
            errors["goal.attributionWindow"] = [problem!];
        }
    }
}
