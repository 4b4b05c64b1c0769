using Herald.Security;
using System.Text.Json.Nodes;
using Herald.Core.Phones;
using Herald.Engagement.Contacts;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Contacts;

/// <summary>The body of POST /api/v1/contacts: a contact to create, or to update when its externalId or phone is known.</summary>
/// <param name="Phone">E.164 (<c>+919812345678</c>), or national with <paramref name="CountryCode"/> or Herald:DefaultCountry.</param>
/// <param name="CountryCode">The calling code of a national phone, e.g. +91.</param>
/// <param name="ExternalId">Your own id for the contact (Segment's userId).</param>
/// <param name="Attributes">Strings, numbers, booleans and ISO dates, merged into the stored ones; null removes one.</param>
/// <param name="Timezone">IANA time zone; default: the number's (libphonenumber).</param>
/// <param name="Locale">e.g. en-IN.</param>
/// <param name="Consent">Per category (promotional, transactional, service): true/false, or {"granted", "source", "at"}.</param>
public sealed record ContactRequest(string? Phone, string? CountryCode, string? ExternalId, JsonObject? Attributes, string? Timezone, string? Locale, JsonObject? Consent);

/// <summary>Consent for one category.</summary>
/// <param name="Granted">Whether the contact agreed.</param>
/// <param name="Source">Where it was said, e.g. api, import, web-form.</param>
/// <param name="At">When.</param>
public sealed record ConsentView(bool Granted, string Source, DateTimeOffset At);

/// <summary>A contact.</summary>
public sealed record ContactView(
    string Id,
    string? Phone,
    string? ExternalId,
    string? Country,
    string? Timezone,
    string? Locale,
    JsonObject Attributes,
    IReadOnlyDictionary<string, ConsentView> Consent,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ErasedAt);

/// <summary>One stored event.</summary>
/// <param name="MessageId">The sender's id for it.</param>
/// <param name="Type">identify, track, page, screen, group or alias.</param>
/// <param name="Name">The event's (or page's) name.</param>
/// <param name="Properties">Its properties (traits for identify and group).</param>
/// <param name="At">When it happened (clock-skew corrected).</param>
/// <param name="ReceivedAt">When Herald received it.</param>
public sealed record EventView(string MessageId, string Type, string? Name, JsonObject? Properties, DateTimeOffset At, DateTimeOffset ReceivedAt);

/// <summary>How often and when a contact performed one event.</summary>
/// <param name="Name">The event.</param>
/// <param name="Count">How many times.</param>
/// <param name="FirstAt">The first time.</param>
/// <param name="LastAt">The last time.</param>
public sealed record EventCountView(string Name, long Count, DateTimeOffset FirstAt, DateTimeOffset LastAt);

/// <summary>A contact's latest events and its counts per event (all time, kept as events arrive).</summary>
/// <param name="Items">The latest events, newest first.</param>
/// <param name="Counts">Per track event name.</param>
public sealed record ContactEventsView(IReadOnlyList<EventView> Items, IReadOnlyList<EventCountView> Counts);

/// <summary>/api/v1/contacts.</summary>
internal static class ContactEndpoints
{
    public static RouteGroupBuilder MapContacts(this RouteGroupBuilder api)
    {
        api.MapPost("/contacts", async Task<Results<Created<ContactView>, Ok<ContactView>, ValidationProblem, ConflictProblem>> (
            ContactRequest request, IContactService contacts, CancellationToken ct) =>
        {
            var outcome = await contacts.UpsertAsync(new ContactInput
            {
                Phone = request.Phone, CountryCode = request.CountryCode, ExternalId = request.ExternalId, Attributes = request.Attributes,
                Timezone = request.Timezone, Locale = request.Locale, Consent = request.Consent,
            }, "api", ct);
            if (outcome.Errors is { } errors)
            {
                return Problems.Invalid(errors.ToDictionary(e => e.Key, e => new[] { e.Value }));
            }
            if (outcome.Conflict is { } conflict)
            {
                return Problems.Conflict("The phone and the externalId belong to different contacts", conflict);
            }
            var view = View(outcome.Contact!);
            return outcome.Created ? TypedResults.Created($"/api/v1/contacts/{view.Id}", view) : TypedResults.Ok(view);
        }).RequireScope(ApiAccess.Send).WithTags("Contacts").WithSummary("Create a contact, or update the one with this externalId or phone (attributes merge)");

        api.MapGet("/contacts/{id}", async Task<Results<Ok<ContactView>, NotFoundProblem>> (string id, IContactStore contacts, CancellationToken ct) =>
            await contacts.GetAsync(id, ct) is { } contact ? TypedResults.Ok(View(contact)) : Problems.NotFound($"No contact has the id '{id}'."))
            .RequireScope(ApiAccess.Read).WithTags("Contacts").WithSummary("A contact with its attributes and consent");

        api.MapGet("/contacts/{id}/events", async Task<Results<Ok<ContactEventsView>, NotFoundProblem, ValidationProblem>> (string id, int? limit,
            IContactStore contacts, IEventStore events, CancellationToken ct) =>
        {
            if (limit is < 1 or > 500)
            {
                return Problems.BadRequest("limit", "limit must be between 1 and 500.");
            }
            if (await contacts.GetAsync(id, ct) is null)
            {
                return Problems.NotFound($"No contact has the id '{id}'.");
            }
            var latest = await events.ListForContactAsync(id, limit ?? 50, ct);
            var counts = await events.StatsForContactAsync(id, ct);
            return TypedResults.Ok(new ContactEventsView(
                [.. latest.Select(e => new EventView(e.MessageId, e.Type, e.Name, e.Properties is null ? null : JsonNode.Parse(e.Properties) as JsonObject, e.At, e.ReceivedAt))],
                [.. counts.Select(c => new EventCountView(c.Name, c.Count, c.FirstAt, c.LastAt))]));
        }).RequireScope(ApiAccess.Read).WithTags("Contacts").WithSummary("A contact's latest events and its counts per event name");

        api.MapGet("/contacts", async Task<Results<Ok<ItemPage<ContactView>>, ValidationProblem>> (string? phone, string? externalId, string? q, int? limit, string? cursor,
            IContactStore contacts, CancellationToken ct) =>
        {
            string? number = null;
            if (phone is not null)
            {
                if (!PhoneNumber.TryParseInternational(phone, out var parsed, out var error))
                {
                    return Problems.BadRequest("phone", error!);
                }
                number = parsed!.E164;
            }
            if (limit is < 1 or > 500)
            {
                return Problems.BadRequest("limit", "limit must be between 1 and 500.");
            }
            string? after = null;
            if (cursor is not null && !PageCursor.TryDecode("c", cursor, out after))
            {
                return Problems.BadRequest("cursor", "cursor is not one this API gave out: pass the 'next' value of the previous page.");
            }
            var page = await contacts.ListAsync(new ContactQuery { Phone = number, ExternalId = externalId, Text = q, Limit = limit ?? 50, After = after }, ct);
            return TypedResults.Ok(new ItemPage<ContactView>([.. page.Items.Select(View)], page.Next is null ? null : PageCursor.Encode("c", page.Next)));
        }).RequireScope(ApiAccess.Read).WithTags("Contacts").WithSummary("List contacts, newest first: by phone, externalId or text in the phone, externalId or attributes (q)");

        api.MapDelete("/contacts/{id}", async Task<Results<NoContent, NotFoundProblem>> (string id, IContactStore contacts, CancellationToken ct) =>
            await contacts.EraseAsync(id, ct) ? TypedResults.NoContent() : Problems.NotFound($"No contact with personal data has the id '{id}' (erased already?)."))
            .RequireScope(ApiAccess.Admin, "contact.erase").WithTags("Contacts")
            .WithSummary("Erase a contact's personal data")
            .WithDescription("Erases the phone, externalId, attributes, locale and consent, the user ids and properties of its events and the bodies of messages " +
                "to its number. The contact's id, country and time zone and its event counts stay, anonymous. A suppression of the number stays in force.");

        api.MapPost("/contacts/{id}/opt-out", async Task<Results<Ok<SuppressionView>, NotFoundProblem, ConflictProblem>> (string id,
            Herald.Engagement.Inbound.IInboundReplies inbound, CancellationToken ct) =>
        {
            // The same opt-out as an inbound STOP (the configured categories, Herald:Inbound:OptOutCategories), without a confirmation text.
            var outcome = await inbound.OptOutAsync(id, "api", ct);
            if (outcome.NotFound)
            {
                return Problems.NotFound($"No contact has the id '{id}'.");
            }
            if (outcome.Suppression is not { } entry)
            {
                return Problems.Conflict("The contact cannot be opted out", outcome.Error!);
            }
            return TypedResults.Ok(SuppressionEndpoints.View(entry));
        }).RequireScope(ApiAccess.Admin, "contact.opt-out").WithTags("Contacts").WithSummary("Opt a contact out of promotional messages (a suppression with reason opt-out, and promotional consent withdrawn)");
        return api;
    }

    internal static ContactView View(ContactRecord c) => new(
        c.Id, c.Phone, c.ExternalId, c.Country, c.Timezone, c.Locale, JsonNode.Parse(c.Attributes) as JsonObject ?? [],
        c.Consents.ToDictionary(x => x.Category, x => new ConsentView(x.Granted, x.Source, x.At)), c.CreatedAt, c.UpdatedAt, c.ErasedAt);
}
