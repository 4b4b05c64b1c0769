using Herald.Storage;
using Herald.Storage.Records;

namespace Herald.Engagement.Contacts;

/// <summary>What an upsert did: the contact, or the fields to fix, or the conflict between two stored contacts.</summary>
/// <param name="Contact">The contact as stored now.</param>
/// <param name="Created">Whether it is new.</param>
/// <param name="Errors">Field path → what to fix.</param>
/// <param name="Conflict">Why the change cannot apply to the stored contacts.</param>
public sealed record ContactUpsertOutcome(ContactRecord? Contact, bool Created, IReadOnlyDictionary<string, string>? Errors, string? Conflict);

/// <summary>Creates, updates and opts out contacts.</summary>
public interface IContactService
{
    /// <summary>Creates or updates one contact (matched by externalId, then phone).</summary>
    Task<ContactUpsertOutcome> UpsertAsync(ContactInput input, string source, CancellationToken cancellationToken);
}

internal sealed class ContactService(ContactRules rules, IContactStore contacts, IEnumerable<Journeys.IJourneySignal> journeys) : IContactService
{
    public async Task<ContactUpsertOutcome> UpsertAsync(ContactInput input, string source, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string>();
        var change = rules.Check(input, source, errors);
        if (change is null)
        {
            return new ContactUpsertOutcome(null, false, errors, null);
        }
        var result = (await contacts.UpsertAsync([change], cancellationToken))[0];
        if (result.Error is not null)
        {
            return new ContactUpsertOutcome(null, false, null, result.Error);
        }
        foreach (var journey in journeys)
        {
            journey.ContactsChanged();
        }
        return new ContactUpsertOutcome(await contacts.GetAsync(result.ContactId!, cancellationToken), result.Created, null, null);
    }
}
