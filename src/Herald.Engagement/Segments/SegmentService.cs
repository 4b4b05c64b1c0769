using System.Text.Json;
using Herald.Core;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Engagement.Segments;

/// <summary>A saved segment with its rule as JSON.</summary>
public sealed record Segment(string Id, string Name, JsonElement Rule, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The result of a create or update: the segment, or the problems by field (<c>name</c>) or by JSON path in the rule (<c>$.all[1].op</c>).</summary>
public sealed record SegmentChange(Segment? Segment, IReadOnlyDictionary<string, string[]>? Errors, bool NotFound = false);

/// <summary>A count, or the problems with the rule.</summary>
public sealed record SegmentCount(long? Count, IReadOnlyDictionary<string, string[]>? Errors, bool NotFound = false);

/// <summary>Segments: validation, storage, counts and previews over the configured database.</summary>
public interface ISegmentService
{
    /// <summary>Every segment, by name.</summary>
    Task<IReadOnlyList<Segment>> ListAsync(CancellationToken cancellationToken);
    /// <summary>A segment by id.</summary>
    Task<Segment?> GetAsync(string id, CancellationToken cancellationToken);
    /// <summary>Saves a new segment after checking its rule.</summary>
    Task<SegmentChange> CreateAsync(string? name, JsonElement? rule, CancellationToken cancellationToken);
    /// <summary>Replaces a segment's name and rule.</summary>
    Task<SegmentChange> UpdateAsync(string id, string? name, JsonElement? rule, CancellationToken cancellationToken);
    /// <summary>Removes a segment.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
    /// <summary>How many contacts a saved segment has now.</summary>
    Task<SegmentCount> CountAsync(string id, CancellationToken cancellationToken);
    /// <summary>How many contacts an unsaved rule picks now (the builder's live count).</summary>
    Task<SegmentCount> CountRuleAsync(JsonElement? rule, CancellationToken cancellationToken);
    /// <summary>The first contacts of a saved segment, by id; null if there is no such segment.</summary>
    Task<IReadOnlyList<AudienceContact>?> PreviewAsync(string id, int limit, CancellationToken cancellationToken);
    /// <summary>The SQL condition a rule compiles to now, on the configured database.</summary>
    ContactFilter Compile(SegmentRule rule);
    /// <summary>
    /// The SQL condition a saved segment compiles to now (a campaign freezing its audience): null if there is no such segment,
    /// <see cref="SegmentCount.Errors"/>-style problems if its saved rule no longer reads.
    /// </summary>
    Task<(ContactFilter? Filter, IReadOnlyDictionary<string, string[]>? Errors)> FilterAsync(string id, CancellationToken cancellationToken);
}

internal sealed class SegmentService(ISegmentStore store, IContactAudience audience, IDatabase database, TimeProvider time) : ISegmentService
{
    /// <summary>Longest segment name.</summary>
    public const int MaxName = 100;

    private readonly SegmentCompiler _compiler = new(time);

    public async Task<IReadOnlyList<Segment>> ListAsync(CancellationToken cancellationToken) =>
        (await store.ListSegmentsAsync(cancellationToken)).Select(View).ToList();

    public async Task<Segment?> GetAsync(string id, CancellationToken cancellationToken) =>
        await store.FindSegmentAsync(id, cancellationToken) is { } record ? View(record) : null;

    public async Task<SegmentChange> CreateAsync(string? name, JsonElement? rule, CancellationToken cancellationToken)
    {
        var (cleanName, ruleText, errors) = Validate(name, rule);
        if (errors.Count > 0)
        {
            return new SegmentChange(null, errors);
        }
        var now = time.GetUtcNow();
        var record = new SegmentRecord { Id = Ids.NewId("seg"), Name = cleanName!, Rule = ruleText!, CreatedAt = now, UpdatedAt = now };
        await store.InsertSegmentAsync(record, cancellationToken);
        return new SegmentChange(View(record), null);
    }

    public async Task<SegmentChange> UpdateAsync(string id, string? name, JsonElement? rule, CancellationToken cancellationToken)
    {
        if (await store.FindSegmentAsync(id, cancellationToken) is not { } existing)
        {
            return new SegmentChange(null, null, NotFound: true);
        }
        var (cleanName, ruleText, errors) = Validate(name, rule);
        if (errors.Count > 0)
        {
            return new SegmentChange(null, errors);
        }
        var record = existing with { Name = cleanName!, Rule = ruleText!, UpdatedAt = time.GetUtcNow() };
        return await store.UpdateSegmentAsync(record, cancellationToken)
            ? new SegmentChange(View(record), null)
            : new SegmentChange(null, null, NotFound: true);
    }

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) => store.DeleteSegmentAsync(id, cancellationToken);

    public async Task<SegmentCount> CountAsync(string id, CancellationToken cancellationToken)
    {
        var (filter, errors) = await FilterAsync(id, cancellationToken);
        return filter is not null ? new SegmentCount(await audience.CountAsync(filter, cancellationToken), null)
            : new SegmentCount(null, errors, NotFound: errors is null);
    }

    public async Task<SegmentCount> CountRuleAsync(JsonElement? rule, CancellationToken cancellationToken)
    {
        if (rule is not { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } json)
        {
            return new SegmentCount(null, RuleRequired());
        }
        var parse = SegmentRuleParser.Parse(json);
        return parse.Ok
            ? new SegmentCount(await audience.CountAsync(Compile(parse.Rule!), cancellationToken), null)
            : new SegmentCount(null, Errors(parse));
    }

    public async Task<IReadOnlyList<AudienceContact>?> PreviewAsync(string id, int limit, CancellationToken cancellationToken)
    {
        var (filter, errors) = await FilterAsync(id, cancellationToken);
        return filter is not null ? await audience.ListAsync(filter, limit, cancellationToken) : errors is null ? null : [];
    }

    public ContactFilter Compile(SegmentRule rule) => _compiler.Compile(rule, database.Provider);

    public async Task<(ContactFilter? Filter, IReadOnlyDictionary<string, string[]>? Errors)> FilterAsync(string id, CancellationToken cancellationToken)
    {
        if (await store.FindSegmentAsync(id, cancellationToken) is not { } record)
        {
            return (null, null);
        }
        var parse = SegmentRuleParser.Parse(record.Rule);
        return parse.Ok ? (Compile(parse.Rule!), null) : (null, Errors(parse));
    }

    private static (string? Name, string? Rule, Dictionary<string, string[]> Errors) Validate(string? name, JsonElement? rule)
    {
        var errors = new Dictionary<string, string[]>();
        var clean = name?.Trim();
        if (string.IsNullOrEmpty(clean))
        {
            errors["name"] = ["name is required, e.g. \"Cart abandoners in Pune\"."];
        }
        else if (clean.Length > MaxName)
        {
            errors["name"] = [$"name is at most {MaxName} characters."];
        }
        string? text = null;
        if (rule is not { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } json)
        {
            foreach (var (key, value) in RuleRequired())
            {
                errors[key] = value;
            }
        }
        else
        {
            var parse = SegmentRuleParser.Parse(json);
            if (parse.Ok)
            {
                text = JsonSerializer.Serialize(json);
            }
            else
            {
                foreach (var (key, value) in Errors(parse))
                {
                    errors[key] = value;
                }
            }
        }
        return (clean, text, errors);
    }

    private static Dictionary<string, string[]> RuleRequired() =>
        new() { ["rule"] = ["rule is required: a JSON rule tree such as {\"all\": [{\"attribute\": \"city\", \"op\": \"eq\", \"value\": \"Pune\"}]} (see docs/segments.md)."] };

    // Keyed by the JSON path inside the rule ("$.all[1].op").
    private static Dictionary<string, string[]> Errors(RuleParse parse) =>
        parse.Errors.GroupBy(e => e.Path).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());

    private static Segment View(SegmentRecord record)
    {
        using var document = JsonDocument.Parse(record.Rule);
        return new Segment(record.Id, record.Name, document.RootElement.Clone(), record.CreatedAt, record.UpdatedAt);
    }
}
