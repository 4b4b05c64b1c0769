using System.Text.RegularExpressions;
using Herald.Engagement.Policy;
using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Engagement.Dlt;

/// <summary>A DLT template as the API takes it.</summary>
/// <param name="TemplateId">The id the DLT platform gave it (12 to 30 digits); on PUT it must match the path or be left out.</param>
/// <param name="EntityId">The principal entity id (PE id, 12 to 19 digits).</param>
/// <param name="Header">The registered header (sender id), e.g. SHOPIN or 123456.</param>
/// <param name="Category">promotional, transactional, service-implicit or service-explicit.</param>
/// <param name="Text">The registered text with <c>{#var#}</c> slots, exactly as registered.</param>
public sealed record DltTemplateInput(string? TemplateId, string? EntityId, string? Header, string? Category, string? Text);

/// <summary>A registered DLT template.</summary>
/// <param name="TemplateId">The DLT template id.</param>
/// <param name="EntityId">The principal entity id.</param>
/// <param name="Header">The registered header.</param>
/// <param name="Category">promotional, transactional, service-implicit or service-explicit.</param>
/// <param name="Text">The registered text.</param>
/// <param name="Variables">How many <c>{#var#}</c> slots it has.</param>
/// <param name="CreatedAt">When it was added.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record DltTemplateView(string TemplateId, string EntityId, string Header, string Category, string Text, int Variables,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The answer of a body check: whether a Liquid body can only produce the registered text, and if not what differs.</summary>
/// <param name="Matches">Whether it does.</param>
/// <param name="Difference">What differs, when it does not.</param>
public sealed record DltBodyCheck(bool Matches, string? Difference);

/// <summary>What a change did: the template, or errors by field, or that the id is taken / unknown.</summary>
public sealed record DltTemplateChange(DltTemplateView? Template, IReadOnlyDictionary<string, string[]>? Errors = null, bool Conflict = false, bool NotFound = false);

/// <summary>Registered DLT templates (India): kept for the send-path policy's DLT check and for checking campaign bodies at save.</summary>
public interface IDltTemplates
{
    /// <summary>Adds a template.</summary>
    Task<DltTemplateChange> CreateAsync(DltTemplateInput input, CancellationToken cancellationToken);

    /// <summary>Replaces a template.</summary>
    Task<DltTemplateChange> UpdateAsync(string templateId, DltTemplateInput input, CancellationToken cancellationToken);

    /// <summary>Removes a template; false when it did not exist.</summary>
    Task<bool> DeleteAsync(string templateId, CancellationToken cancellationToken);

    /// <summary>One template.</summary>
    Task<DltTemplateView?> GetAsync(string templateId, CancellationToken cancellationToken);

    /// <summary>A page of templates in id order, and the cursor of the next page.</summary>
    Task<(IReadOnlyList<DltTemplateView> Items, string? Next)> ListAsync(string? cursor, int limit, CancellationToken cancellationToken);

    /// <summary>Checks that a Liquid body can only produce the registered text (the check a campaign runs at save); null when the template is unknown.</summary>
    Task<DltBodyCheck?> CheckBodyAsync(string templateId, string body, CancellationToken cancellationToken);
}

internal sealed partial class DltTemplates(IDltTemplateStore store, TimeProvider time) : IDltTemplates
{
    public async Task<DltTemplateChange> CreateAsync(DltTemplateInput input, CancellationToken cancellationToken)
    {
        if (Validate(input, null) is { } errors)
        {
            return new DltTemplateChange(null, errors);
        }
        var now = time.GetUtcNow();
        var record = Record(input, input.TemplateId!.Trim(), now, now);
        return await store.InsertAsync(record, cancellationToken) ? new DltTemplateChange(View(record)) : new DltTemplateChange(null, Conflict: true);
    }

    public async Task<DltTemplateChange> UpdateAsync(string templateId, DltTemplateInput input, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(templateId, cancellationToken) is not { } existing)
        {
            return new DltTemplateChange(null, NotFound: true);
        }
        if (Validate(input, templateId) is { } errors)
        {
            return new DltTemplateChange(null, errors);
        }
        var record = Record(input, templateId, existing.CreatedAt, time.GetUtcNow());
        return await store.UpdateAsync(record, cancellationToken) ? new DltTemplateChange(View(record)) : new DltTemplateChange(null, NotFound: true);
    }

    public Task<bool> DeleteAsync(string templateId, CancellationToken cancellationToken) => store.DeleteAsync(templateId, cancellationToken);

    public async Task<DltTemplateView?> GetAsync(string templateId, CancellationToken cancellationToken) =>
        await store.GetAsync(templateId, cancellationToken) is { } record ? View(record) : null;

    public async Task<(IReadOnlyList<DltTemplateView> Items, string? Next)> ListAsync(string? cursor, int limit, CancellationToken cancellationToken)
    {
        limit = Math.Clamp(limit, 1, 500);
        var rows = await store.ListAsync(string.IsNullOrWhiteSpace(cursor) ? null : cursor, limit + 1, cancellationToken);
        var page = rows.Take(limit).Select(View).ToList();
        return (page, rows.Count > limit ? page[^1].TemplateId : null);
    }

    public async Task<DltBodyCheck?> CheckBodyAsync(string templateId, string body, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(templateId, cancellationToken) is not { } template)
        {
            return null;
        }
        var difference = DltCheck.AtSave(template, body);
        return new DltBodyCheck(difference is null, difference);
    }

    private static Dictionary<string, string[]>? Validate(DltTemplateInput input, string? pathId)
    {
        var errors = new Dictionary<string, string[]>();
        if (pathId is null)
        {
            if (string.IsNullOrWhiteSpace(input.TemplateId) || !TemplateIdPattern().IsMatch(input.TemplateId.Trim()))
            {
                errors["templateId"] = ["templateId is the DLT template id: 12 to 30 digits, e.g. 1107161234567890123."];
            }
        }
        else if (!string.IsNullOrWhiteSpace(input.TemplateId) && input.TemplateId.Trim() != pathId)
        {
            errors["templateId"] = [$"templateId {input.TemplateId} differs from the path's {pathId}: a template's id cannot change; add a new template instead."];
        }
        if (string.IsNullOrWhiteSpace(input.EntityId) || !EntityIdPattern().IsMatch(input.EntityId.Trim()))
        {
            errors["entityId"] = ["entityId is the principal entity (PE) id from the DLT platform: 12 to 19 digits."];
        }
        if (string.IsNullOrWhiteSpace(input.Header) || !HeaderPattern().IsMatch(input.Header.Trim()))
        {
            errors["header"] = ["header is the registered sender id: 6 letters (transactional, service) or 6 digits (promotional), without the operator's -P/-S/-T/-G suffix."];
        }
        if (input.Category is null || !MessageCategories.All.Contains(input.Category.Trim().ToLowerInvariant()))
        {
            errors["category"] = [$"category must be one of {string.Join(", ", MessageCategories.All)}."];
        }
        if (string.IsNullOrWhiteSpace(input.Text))
        {
            errors["text"] = ["text is the registered template text, with {#var#} where a value goes."];
        }
        else if (input.Text.Length > 2_000)
        {
            errors["text"] = [$"text is {input.Text.Length} characters; a DLT template holds at most 2,000."];
        }
        return errors.Count == 0 ? null : errors;
    }

    private static DltTemplateRecord Record(DltTemplateInput input, string templateId, DateTimeOffset createdAt, DateTimeOffset updatedAt) => new()
    {
        TemplateId = templateId, EntityId = input.EntityId!.Trim(), Header = input.Header!.Trim().ToUpperInvariant(),
        Category = input.Category!.Trim().ToLowerInvariant(), Text = input.Text!, CreatedAt = createdAt, UpdatedAt = updatedAt,
    };

    private static DltTemplateView View(DltTemplateRecord r) =>
        new(r.TemplateId, r.EntityId, r.Header, r.Category, r.Text, DltText.Parse(r.Text).Slots, r.CreatedAt, r.UpdatedAt);

    [GeneratedRegex(@"^\d{12,30}$", RegexOptions.CultureInvariant)]
    private static partial Regex TemplateIdPattern();

    [GeneratedRegex(@"^\d{12,19}$", RegexOptions.CultureInvariant)]
    private static partial Regex EntityIdPattern();

    [GeneratedRegex(@"^[A-Za-z0-9]{6}$", RegexOptions.CultureInvariant)]
    private static partial Regex HeaderPattern();
}
