using Dapper;
using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage.Tests;

/// <summary>The send-path policy's reads and the DLT templates (issue 12), on both databases.</summary>
public abstract partial class StorageComplianceTests
{
    private async Task PolicySqlAsync(string sql, object? parameters)
    {
        await using var connection = Fixture.RawConnection(Fixture.ConnectionString);
        await connection.OpenAsync(Ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: Ct));
    }

    private static string NewIndianPhone() => "+9198" + Random.Shared.NextInt64(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Suppressions_ByPhone_WithTheirCategories()
    {
        var (all, promo, clean) = (NewIndianPhone(), NewIndianPhone(), NewIndianPhone());
        await PolicySqlAsync("INSERT INTO suppressions (phone, reason, categories, source, created_at, updated_at) VALUES (@all, 'opt-out', '*', 'sms', 1000, 1000), (@promo, 'complaint', 'promotional, service', NULL, 2000, 2000)",
            new { all, promo });

        var found = await Db.Policy.SuppressionsAsync([all, promo, clean], Ct);

        Assert.Equal(2, found.Count);
        Assert.True(found[all].Covers("transactional"));
        Assert.Equal(["promotional", "service"], found[promo].Categories);
        Assert.False(found[promo].Covers("transactional"));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(2000), found[promo].Since);
    }

    [Fact]
    public async Task Contacts_ByPhone_WithConsent_ErasedLeftOut()
    {
        var (granted, erased, bare) = (NewIndianPhone(), NewIndianPhone(), NewIndianPhone());
        var id = "ct_" + Unique();
        await PolicySqlAsync("""
            INSERT INTO contacts (id, phone, country, timezone, attributes, created_at, updated_at) VALUES (@id, @granted, 'IN', 'Asia/Kolkata', '{}', 0, 0);
            INSERT INTO contacts (id, phone, attributes, erased_at, created_at, updated_at) VALUES (@erasedId, @erased, '{}', 5, 0, 0);
            INSERT INTO contacts (id, phone, attributes, created_at, updated_at) VALUES (@bareId, @bare, '{}', 0, 0);
            INSERT INTO contact_consents (contact_id, category, granted, source, at) VALUES (@id, 'promotional', 1, 'import', 0), (@id, 'service', 0, 'api', 0);
            """, new { id, granted, erasedId = "ct_" + Unique(), erased, bareId = "ct_" + Unique(), bare });

        var found = await Db.Policy.ContactsAsync([granted, erased, bare], Ct);

        Assert.Equal(new[] { bare, granted }.Order(), found.Keys.Order());
        Assert.Equal((id, "IN", "Asia/Kolkata"), (found[granted].Id, found[granted].Country, found[granted].TimeZone));
        Assert.True(found[granted].Consents["promotional"]);
        Assert.False(found[granted].Consents["service"]);
        Assert.Empty(found[bare].Consents);
    }

    [Fact]
    public async Task Recent_CountsSentAndDueMessagesOfTheType_NotRefusedOnes()
    {
        var db = await QueueDatabaseAsync();
        var to = NewIndianPhone();
        var now = Time.GetUtcNow();
        async Task<string> Enqueue(string type, DateTimeOffset due, DeliveryState status = DeliveryState.Queued)
        {
            var message = NewMessage(m => m with { To = to, Type = type, Status = status });
            await db.Queue.EnqueueAsync([(message, new DispatchInfo(3, status == DeliveryState.Rejected ? null : due, null, "gsm7", 1))], null, Ct);
            return message.Id;
        }
        var old = await Enqueue("mkt", now - TimeSpan.FromHours(30));
        var recent = await Enqueue("mkt", now - TimeSpan.FromHours(2));
        var deferred = await Enqueue("mkt", now + TimeSpan.FromHours(10));
        await Enqueue("mkt", now, DeliveryState.Rejected);
        await Enqueue("otp", now);

        var counted = await db.Policy.RecentAsync([to], "mkt", now - TimeSpan.FromHours(24), Ct);

        Assert.Equal(new[] { deferred, recent }.Order(), counted.Select(c => c.Id).Order());
        Assert.DoesNotContain(old, counted.Select(c => c.Id));
        Assert.All(counted, c => Assert.Equal(to, c.To));
    }

    [Fact]
    public async Task DltTemplates_InsertGetUpdateListDelete()
    {
        var db = await QueueDatabaseAsync();
        var at = Time.GetUtcNow();
        DltTemplateRecord Template(string id) => new()
        {
            TemplateId = id, EntityId = "1201159876543210", Header = "SHOPIN", Category = "promotional",
            Text = "Hi {#var#},\nतुम्हारा 50% off", CreatedAt = at, UpdatedAt = at,
        };

        Assert.True(await db.DltTemplates.InsertAsync(Template("1107000000000000002"), Ct));
        Assert.True(await db.DltTemplates.InsertAsync(Template("1107000000000000001"), Ct));
        Assert.False(await db.DltTemplates.InsertAsync(Template("1107000000000000001"), Ct));
        Assert.Equal(Template("1107000000000000001"), await db.DltTemplates.GetAsync("1107000000000000001", Ct));

        Assert.True(await db.DltTemplates.UpdateAsync(Template("1107000000000000001") with { Header = "OTHERS" }, Ct));
        Assert.False(await db.DltTemplates.UpdateAsync(Template("1107000000000000009"), Ct));
        Assert.Equal("OTHERS", (await db.DltTemplates.FindManyAsync(["1107000000000000001", "nope"], Ct)).Single().Value.Header);
        Assert.Equal(["1107000000000000001"], (await db.DltTemplates.ListAsync(null, 1, Ct)).Select(t => t.TemplateId));
        Assert.Equal(["1107000000000000002"], (await db.DltTemplates.ListAsync("1107000000000000001", 10, Ct)).Select(t => t.TemplateId));

        Assert.True(await db.DltTemplates.DeleteAsync("1107000000000000001", Ct));
        Assert.False(await db.DltTemplates.DeleteAsync("1107000000000000001", Ct));
    }
}
