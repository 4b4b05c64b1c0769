using Herald.Engagement.Tests.Infrastructure;

namespace Herald.Engagement.Tests.Segments;

/// <summary>
/// The contacts, consents and events every segment compliance test reads, written with plain SQL as the contacts and events
/// code writes them (the per-contact aggregates computed from the events). "Now" is 2026-06-01 12:00 UTC.
/// </summary>
internal static class SegmentData
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Every contact that is not erased.</summary>
    public static readonly string[] Live = ["ct_a", "ct_b", "ct_c", "ct_d", "ct_e", "ct_g", "ct_h"];

    /// <summary>Extra contacts for the random sample (ids shaped like the real ones).</summary>
    public static readonly string[] Sample = [.. Enumerable.Range(0, 200).Select(i => $"ct_{i:D4}x{(i * 7919) % 1000:D3}zq")];

    public static async Task SeedAsync(EngagementDatabaseFixture fixture)
    {
        var contacts = new (string Id, string? Country, string Attributes, bool Erased)[]
        {
            ("ct_a", "IN", """{"city":"Pune","age":30,"vip":true,"tags":["gold","early"],"signup":"2026-05-28","score":7.5,"address":{"city":"Pune","pin":"411001"}}""", false),
            ("ct_b", "IN", """{"city":"Mumbai","age":45,"vip":false,"tags":["silver"],"signup":"2026-01-10T08:00:00Z","nick":"Bob"}""", false),
            ("ct_c", "US", """{"city":"pune","age":"30","signup":"2026-05-31T23:00:00-05:00"}""", false),
            ("ct_d", "US", """{"city":"Austin","age":22.5,"vip":null,"signup":"not a date"}""", false),
            ("ct_e", "GB", """{"signup":"2026-02-30"}""", false),
            ("ct_f", "IN", """{"city":"Pune","age":30}""", true),
            ("ct_g", null, """{"city":"Pune","age":61,"signup":"2025-12-31T23:59:59.500Z","tags":"gold card"}""", false),
            ("ct_h", "IN", """{"city":"Delhi","age":30,"signup":"2026-06-01T10:00"}""", false),
        };
        var at = Now.AddDays(-60).ToUnixTimeMilliseconds();
        await fixture.ExecAsync("""
            INSERT INTO contacts (id, phone, external_id, country, timezone, locale, attributes, erased_at, created_at, updated_at)
            VALUES (@Id, @Phone, NULL, @Country, NULL, NULL, @Attributes, @ErasedAt, @At, @At)
            """, contacts.Select((c, i) => new
        {
            c.Id, Phone = c.Erased ? null : $"+9198000000{i:D2}", c.Country, c.Attributes, ErasedAt = c.Erased ? (long?)at : null, At = at,
        }).Concat(Sample.Select((id, i) => new { Id = id, Phone = (string?)$"+9197000{i:D5}", Country = (string?)"IN", Attributes = "{}", ErasedAt = (long?)null, At = at })).ToList());

        await fixture.ExecAsync("INSERT INTO contact_consents (contact_id, category, granted, source, at) VALUES (@Id, @Category, @Granted, 'test', @At)",
            new[]
            {
                ("ct_a", "promotional", 1), ("ct_b", "promotional", 0), ("ct_c", "promotional", 1), ("ct_c", "transactional", 1),
                ("ct_h", "transactional", 1), ("ct_f", "promotional", 1),
            }.Select(c => new { Id = c.Item1, Category = c.Item2, Granted = c.Item3, At = at }).ToList());

        var events = new (string? Contact, string Name, TimeSpan Ago, string? Properties)[]
        {
            ("ct_a", "added_to_cart", TimeSpan.FromDays(1), """{"value":700}"""),
            ("ct_a", "added_to_cart", TimeSpan.FromDays(3), """{"value":200}"""),
            ("ct_a", "checkout_completed", TimeSpan.FromHours(1), null),
            ("ct_b", "added_to_cart", TimeSpan.FromDays(10), """{"value":900}"""),
            ("ct_b", "added_to_cart", TimeSpan.FromDays(2), """{"value":100}"""),
            ("ct_c", "added_to_cart", TimeSpan.FromMinutes(30), """{"value":600,"sku":"X1"}"""),
            ("ct_d", "added_to_cart", TimeSpan.FromDays(20), """{"value":1000}"""),
            ("ct_d", "added_to_cart", TimeSpan.FromDays(21), """{"value":1000}"""),
            ("ct_d", "added_to_cart", TimeSpan.FromDays(22), """{"value":1000}"""),
            ("ct_f", "added_to_cart", TimeSpan.FromDays(1), """{"value":5000}"""),
            ("ct_g", "checkout_completed", TimeSpan.FromHours(3), null),
            ("ct_g", "added_to_cart", TimeSpan.FromDays(5), """{"value":"800"}"""),
            ("ct_h", "added_to_cart", TimeSpan.FromDays(1), """{"value":50}"""),
            ("ct_h", "added_to_cart", TimeSpan.FromDays(2), """{"value":50}"""),
            ("ct_h", "added_to_cart", TimeSpan.FromDays(3), """{"value":50}"""),
            (null, "added_to_cart", TimeSpan.FromDays(1), """{"value":9999}"""),
        };
        await fixture.ExecAsync("""
            INSERT INTO events (message_id, contact_id, user_id, anonymous_id, type, name, properties, at, received_at)
            VALUES (@MessageId, @Contact, NULL, @Anonymous, 'track', @Name, @Properties, @At, @At)
            """, events.Select((e, i) => new
        {
            MessageId = $"m{i}", e.Contact, Anonymous = e.Contact is null ? "anon-1" : null, e.Name, e.Properties,
            At = (Now - e.Ago).ToUnixTimeMilliseconds(),
        }).ToList());
        await fixture.ExecAsync("""
            INSERT INTO contact_event_stats (contact_id, name, count, first_at, last_at)
            SELECT contact_id, name, COUNT(*), MIN(at), MAX(at) FROM events WHERE contact_id IS NOT NULL GROUP BY contact_id, name
            """);
    }
}

/// <summary>The SQLite database with <see cref="SegmentData"/>.</summary>
public sealed class SqliteSegmentFixture : SqliteFixture
{
    protected override Task SeedAsync() => SegmentData.SeedAsync(this);
}

/// <summary>The PostgreSQL database with <see cref="SegmentData"/>.</summary>
public sealed class PostgresSegmentFixture : PostgresFixture
{
    protected override Task SeedAsync() => SegmentData.SeedAsync(this);
}
