using System.Text.Json.Nodes;
using Herald.Storage.Records;

namespace Herald.Storage.Tests;

public abstract partial class StorageComplianceTests
{
    /// <summary>A number no other test uses (the stores never parse it).</summary>
    private static string NewPhone() => "+1555" + Random.Shared.NextInt64(1_000_000, 9_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<ContactUpsertResult> UpsertAsync(ContactChange change) => (await Db.Contacts.UpsertAsync([change], Ct))[0];

    [Fact]
    public async Task ContactsUpsertAsync_SamePhoneTwice_CreatesThenMergesAttributesAndConsent()
    {
        var phone = NewPhone();
        var first = await UpsertAsync(new ContactChange
        {
            Phone = phone, Country = "US", DefaultTimezone = "America/New_York", Locale = "en-US",
            Attributes = new JsonObject { ["city"] = "Pune", ["orders"] = 3, ["vip"] = true },
            Consents = [new ConsentRecord("promotional", true, "web-form", Time.GetUtcNow())],
        });
        Time.Advance(TimeSpan.FromMinutes(1));
        var second = await UpsertAsync(new ContactChange
        {
            Phone = phone, ExternalId = $"user-{Unique()}", Country = "US", DefaultTimezone = "America/Chicago",
            Attributes = new JsonObject { ["orders"] = 4, ["vip"] = null, ["since"] = "2024-05-01" },
            Consents = [new ConsentRecord("promotional", false, "api", Time.GetUtcNow()), new ConsentRecord("transactional", true, "api", Time.GetUtcNow())],
        });

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.ContactId, second.ContactId);
        var contact = await Db.Contacts.GetAsync(first.ContactId!, Ct);
        Assert.NotNull(contact);
        Assert.Equal(phone, contact.Phone);
        Assert.Equal("America/New_York", contact.Timezone); // a default never replaces a stored zone
        Assert.Equal("en-US", contact.Locale);
        var attributes = JsonNode.Parse(contact.Attributes)!.AsObject();
        Assert.Equal("Pune", (string?)attributes["city"]);
        Assert.Equal(4, (int?)attributes["orders"]);
        Assert.Equal("2024-05-01", (string?)attributes["since"]);
        Assert.False(attributes.ContainsKey("vip"));
        Assert.Equal(2, contact.Consents.Count);
        var promotional = contact.Consents.Single(c => c.Category == "promotional");
        Assert.False(promotional.Granted);
        Assert.Equal("api", promotional.Source);
        Assert.Equal(Time.GetUtcNow(), promotional.At);
        Assert.True(contact.UpdatedAt > contact.CreatedAt);
        Assert.Equal(contact.Id, (await Db.Contacts.FindByExternalIdAsync(contact.ExternalId!, Ct))!.Id);
    }

    [Fact]
    public async Task ContactsUpsertAsync_PhoneAndExternalIdOfDifferentContacts_RefusesThatChangeOnly()
    {
        var a = await UpsertAsync(new ContactChange { Phone = NewPhone() });
        var externalId = $"user-{Unique()}";
        var b = await UpsertAsync(new ContactChange { ExternalId = externalId });
        var phoneOfA = (await Db.Contacts.GetAsync(a.ContactId!, Ct))!.Phone;
        var fresh = NewPhone();

        var results = await Db.Contacts.UpsertAsync(
        [
            new ContactChange { Phone = phoneOfA, ExternalId = externalId },
            new ContactChange { Phone = fresh, Attributes = new JsonObject { ["n"] = 1 } },
            new ContactChange { Phone = fresh, Attributes = new JsonObject { ["n"] = 2 } },
        ], Ct);

        Assert.Contains(a.ContactId!, results[0].Error, StringComparison.Ordinal);
        Assert.Contains(b.ContactId!, results[0].Error, StringComparison.Ordinal);
        Assert.True(results[1].Created);
        Assert.False(results[2].Created); // the second sees the first within one call
        Assert.Equal(results[1].ContactId, results[2].ContactId);
        Assert.Equal("""{"n":2}""", (await Db.Contacts.GetAsync(results[1].ContactId!, Ct))!.Attributes);
        Assert.Null((await Db.Contacts.GetAsync(b.ContactId!, Ct))!.Phone);
    }

    [Fact]
    public async Task ContactsUpsertAsync_ThousandsInOneCall_AllWritten()
    {
        var tag = Unique();
        var changes = Enumerable.Range(0, 2500).Select(i => new ContactChange
        {
            Phone = $"+4470{tag[..4].GetHashCode(StringComparison.Ordinal) & 0xFFFF:D5}{i:D4}",
            Attributes = new JsonObject { ["tag"] = tag, ["i"] = i },
            Consents = [new ConsentRecord("promotional", i % 2 == 0, "import", Time.GetUtcNow())],
        }).ToList();

        var results = await Db.Contacts.UpsertAsync(changes, Ct);
        var again = await Db.Contacts.UpsertAsync(changes, Ct);

        Assert.All(results, r => Assert.True(r.Created));
        Assert.All(again, r => Assert.False(r.Created));
        var page = await Db.Contacts.ListAsync(new ContactQuery { Text = tag, Limit = 500 }, Ct);
        Assert.Equal(500, page.Items.Count);
        Assert.NotNull(page.Next);
        var contact = await Db.Contacts.FindByPhoneAsync(changes[7].Phone!, Ct);
        Assert.False(contact!.Consents.Single().Granted);
    }

    [Fact]
    public async Task ContactsListAsync_TextAndCursor_PagesNewestFirstWithoutRepeats()
    {
        var tag = $"Zq{Unique()}";
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            Time.Advance(TimeSpan.FromMilliseconds(2));
            ids.Add((await UpsertAsync(new ContactChange { Phone = NewPhone(), Attributes = new JsonObject { ["name"] = $"{tag} 50%_{i}" } })).ContactId!);
        }
        await UpsertAsync(new ContactChange { Phone = NewPhone(), Attributes = new JsonObject { ["name"] = $"{tag} 50x" } });

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Db.Contacts.ListAsync(new ContactQuery { Text = $"{tag.ToUpperInvariant()} 50%_", Limit = 2, After = cursor }, Ct);
            seen.AddRange(page.Items.Select(c => c.Id));
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(ids.AsEnumerable().Reverse(), seen);
        var byPhone = await Db.Contacts.ListAsync(new ContactQuery { Phone = (await Db.Contacts.GetAsync(ids[0], Ct))!.Phone }, Ct);
        Assert.Equal(ids[0], Assert.Single(byPhone.Items).Id);
    }

    [Fact]
    public async Task ContactsEraseAsync_ContactWithEventsAndMessages_KeepsOnlyAnonymousCounts()
    {
        var phone = NewPhone();
        var externalId = $"user-{Unique()}";
        var contactId = (await UpsertAsync(new ContactChange
        {
            Phone = phone, ExternalId = externalId, Country = "US", Timezone = "America/New_York",
            Attributes = new JsonObject { ["name"] = "Asha" }, Consents = [new ConsentRecord("promotional", true, "api", Time.GetUtcNow())],
        })).ContactId!;
        var messageId = $"evt-{Unique()}";
        await Db.Events.IngestAsync([new EventWrite(NewEvent(messageId, externalId, "order_placed"), null)], Ct);
        var message = await InsertMessageAsync(m => m with { To = phone, Body = "Hi Asha, your order shipped" });

        Assert.True(await Db.Contacts.EraseAsync(contactId, Ct));
        Assert.False(await Db.Contacts.EraseAsync(contactId, Ct));

        var erased = await Db.Contacts.GetAsync(contactId, Ct);
        Assert.NotNull(erased!.ErasedAt);
        Assert.Null(erased.Phone);
        Assert.Null(erased.ExternalId);
        Assert.Equal("{}", erased.Attributes);
        Assert.Empty(erased.Consents);
        Assert.Equal("US", erased.Country);
        Assert.Null(await Db.Contacts.FindByPhoneAsync(phone, Ct));
        var stored = Assert.Single(await Db.Events.ListForContactAsync(contactId, 10, Ct));
        Assert.Null(stored.UserId);
        Assert.Null(stored.Properties);
        Assert.Equal(1, Assert.Single(await Db.Events.StatsForContactAsync(contactId, Ct)).Count);
        Assert.Null((await Db.Messages.GetAsync(message.Id, Ct))!.Body);
        // The number can be a new contact again.
        Assert.True((await UpsertAsync(new ContactChange { Phone = phone })).Created);
    }

    private EventRecord NewEvent(string messageId, string? userId, string? name, string type = "track", DateTimeOffset? at = null) => new()
    {
        MessageId = messageId, UserId = userId, Type = type, Name = name, Properties = """{"value":640}""",
        At = at ?? Time.GetUtcNow(), ReceivedAt = Time.GetUtcNow(),
    };

    [Fact]
    public async Task EventsIngestAsync_IdentifyThenTracksAndReplay_LinksContactCountsOnceAndSkipsReplays()
    {
        var userId = $"user-{Unique()}";
        var phone = NewPhone();
        var t0 = Time.GetUtcNow();
        var items = new List<EventWrite>
        {
            new(NewEvent($"m1-{userId}", userId, null, "identify"), new ContactChange { Phone = phone, ExternalId = userId, Attributes = new JsonObject { ["plan"] = "gold" } }),
            new(NewEvent($"m2-{userId}", userId, "added_to_cart", at: t0.AddMinutes(-5)), null),
            new(NewEvent($"m3-{userId}", userId, "added_to_cart", at: t0.AddMinutes(-9)), null),
            new(NewEvent($"m3-{userId}", userId, "added_to_cart", at: t0.AddMinutes(-9)), null),
            new(NewEvent($"m4-{userId}", null, "page_viewed", "page") with { AnonymousId = "anon-1" }, null),
        };

        var first = await Db.Events.IngestAsync(items, Ct);
        var replay = await Db.Events.IngestAsync(items, Ct);

        Assert.Equal(4, first.Stored);
        Assert.Equal(1, first.Duplicates);
        Assert.Empty(first.Errors);
        Assert.Equal(0, replay.Stored);
        Assert.Equal(5, replay.Duplicates);
        var contact = await Db.Contacts.FindByPhoneAsync(phone, Ct);
        Assert.Equal(userId, contact!.ExternalId);
        var stat = Assert.Single(await Db.Events.StatsForContactAsync(contact.Id, Ct));
        Assert.Equal(new ContactEventStat("added_to_cart", 2, t0.AddMinutes(-9), t0.AddMinutes(-5)), stat);
        Assert.Equal(3, (await Db.Events.ListForContactAsync(contact.Id, 10, Ct)).Count);
        Assert.Equal(new HashSet<string> { userId }, await Db.Events.KnownExternalIdsAsync([userId, $"nobody-{Unique()}"], Ct));
    }

    [Fact]
    public async Task EventsPurgeAsync_OldEvents_RemovesInBatchesAndKeepsCounts()
    {
        var userId = $"user-{Unique()}";
        await Db.Contacts.UpsertAsync([new ContactChange { Phone = NewPhone(), ExternalId = userId }], Ct);
        await Db.Events.IngestAsync([.. Enumerable.Range(0, 5).Select(i => new EventWrite(NewEvent($"old{i}-{userId}", userId, "opened"), null))], Ct);
        Time.Advance(TimeSpan.FromDays(2));
        var cutoff = Time.GetUtcNow().AddDays(-1);

        var removed = 0;
        int last;
        while ((last = await Db.Events.PurgeAsync(cutoff, 2, Ct)) > 0)
        {
            Assert.True(last <= 2);
            removed += last;
        }

        Assert.True(removed >= 5);
        var contact = await Db.Contacts.FindByExternalIdAsync(userId, Ct);
        Assert.Empty(await Db.Events.ListForContactAsync(contact!.Id, 10, Ct));
        Assert.Equal(5, Assert.Single(await Db.Events.StatsForContactAsync(contact.Id, Ct)).Count);
    }

    [Fact]
    public async Task SuppressionsUpsertListDelete_Numbers_KeepFirstTimeAndPage()
    {
        var phones = Enumerable.Range(0, 3).Select(_ => NewPhone()).ToList();
        var reason = $"manual";
        foreach (var phone in phones)
        {
            Time.Advance(TimeSpan.FromMilliseconds(1));
            await Db.Suppressions.UpsertAsync(new SuppressionRecord
            {
                Phone = phone, Reason = reason, Categories = "promotional", Source = "api", CreatedAt = Time.GetUtcNow(), UpdatedAt = Time.GetUtcNow(),
            }, Ct);
        }
        var created = Time.GetUtcNow();
        Time.Advance(TimeSpan.FromMinutes(1));
        var replaced = await Db.Suppressions.UpsertAsync(new SuppressionRecord
        {
            Phone = phones[2], Reason = "complaint", Categories = "*", CreatedAt = Time.GetUtcNow(), UpdatedAt = Time.GetUtcNow(),
        }, Ct);

        Assert.Equal(created, replaced.CreatedAt);
        Assert.Equal("complaint", replaced.Reason);
        Assert.Equal("*", replaced.Categories);
        var first = await Db.Suppressions.ListAsync("complaint", 500, null, Ct);
        Assert.Contains(first.Items, s => s.Phone == phones[2]);
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Db.Suppressions.ListAsync(null, 1, cursor, Ct);
            seen.AddRange(page.Items.Select(s => s.Phone));
            cursor = page.Next;
        }
        while (cursor is not null);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.True(seen.IndexOf(phones[2]) < seen.IndexOf(phones[1]) && seen.IndexOf(phones[1]) < seen.IndexOf(phones[0]));
        Assert.True(await Db.Suppressions.DeleteAsync(phones[0], Ct));
        Assert.False(await Db.Suppressions.DeleteAsync(phones[0], Ct));
        Assert.Null(await Db.Suppressions.FindAsync(phones[0], Ct));
    }

    [Fact]
    public async Task ImportsLifecycle_RunningThenFinishedOrStale_RecordsCountsAndErrors()
    {
        var now = Time.GetUtcNow();
        var import = new ImportRecord { Id = $"imp_{Unique()}", Status = "running", CreatedAt = now, UpdatedAt = now };
        var stale = import with { Id = $"imp_{Unique()}" };
        await Db.Imports.InsertAsync(import, Ct);
        await Db.Imports.InsertAsync(stale, Ct);
        Time.Advance(TimeSpan.FromMinutes(2));
        await Db.Imports.UpdateAsync(import with { Rows = 10, Imported = 7, Updated = 2, Failed = 1, Errors = """[{"row":3,"error":"bad"}]""", UpdatedAt = Time.GetUtcNow() }, Ct);

        Assert.True(await Db.Imports.FailStaleAsync(Time.GetUtcNow().AddMinutes(-1), "Herald stopped", Ct) >= 1);

        Assert.Equal("failed", (await Db.Imports.GetAsync(stale.Id, Ct))!.Status);
        Assert.Contains("Herald stopped", (await Db.Imports.GetAsync(stale.Id, Ct))!.Errors, StringComparison.Ordinal);
        var running = await Db.Imports.GetAsync(import.Id, Ct);
        Assert.Equal(("running", 10L, 7L, 2L, 1L), (running!.Status, running.Rows, running.Imported, running.Updated, running.Failed));
        Assert.Null(await Db.Imports.GetErrorRowsAsync(import.Id, Ct));
        await Db.Imports.FinishAsync(running with { Status = "completed", Rows = 11, Imported = 8, FinishedAt = Time.GetUtcNow() }, "row,error\n3,bad\n", Ct);
        var done = await Db.Imports.GetAsync(import.Id, Ct);
        Assert.Equal(("completed", 11L, 8L), (done!.Status, done.Rows, done.Imported));
        Assert.Equal(Time.GetUtcNow(), done.FinishedAt);
        Assert.Equal("row,error\n3,bad\n", await Db.Imports.GetErrorRowsAsync(import.Id, Ct));
    }
}
