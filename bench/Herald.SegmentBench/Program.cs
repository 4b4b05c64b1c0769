using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Herald.Engagement.Segments;
using Herald.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

// herald-segment-bench --database sqlite|postgres [--contacts 1000000] [--events 10000000] [--runs 3] [--keep] [--reuse FILE|DATABASE]
//                      [--freeze] [--no-counts]
// Makes a fresh database (a SQLite file under /tmp, or a new database on $HERALD_TEST_POSTGRES / scripts/postgres.sh), migrates
// it, generates the contacts, consents, events and per-contact aggregates with SQL, then times segment counts through the same
// compiler and audience query the API uses. Prints one line per segment: the count and each run's time. --freeze also times a
// campaign launch's audience freeze (ICampaignStore.LaunchAsync, the INSERT … SELECT into campaign_recipients) for every contact
// and for the three-condition segment, each run on a new draft campaign whose recipients are deleted afterwards (not timed).
var options = Args.Parse(args);
var now = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
var clock = new FixedClock(now);
string connectionString;
string? dropDatabase = null;
string? sqliteFile = null;
if (options.Database == "sqlite")
{
    var file = options.Reuse ?? Path.Combine(Path.GetTempPath(), "herald-segment-bench", $"bench-{Guid.NewGuid():N}.db");
    Directory.CreateDirectory(Path.GetDirectoryName(file)!);
    connectionString = new SqliteConnectionStringBuilder { DataSource = file }.ToString();
    sqliteFile = file;
    Console.WriteLine($"sqlite: {file}");
}
else
{
    var server = Environment.GetEnvironmentVariable("HERALD_TEST_POSTGRES")
        ?? throw new InvalidOperationException("Set HERALD_TEST_POSTGRES, e.g. export HERALD_TEST_POSTGRES=\"$(scripts/postgres.sh url)\"");
    dropDatabase = options.Reuse ?? $"herald_segbench_{Guid.NewGuid():N}";
    if (options.Reuse is null)
    {
        await using var admin = new NpgsqlConnection(server);
        await admin.OpenAsync();
        await admin.ExecuteAsync($"CREATE DATABASE \"{dropDatabase}\"");
    }
    connectionString = new NpgsqlConnectionStringBuilder(server) { Database = dropDatabase, CommandTimeout = 3600 }.ToString();
    Console.WriteLine($"postgres: {dropDatabase}");
}

try
{
    await using var db = HeraldDatabase.Open(new DatabaseOptions { Provider = options.Database, ConnectionString = connectionString }, clock);
    await db.Database.MigrateAsync(CancellationToken.None);
    if (options.Reuse is null)
    {
        var load = Stopwatch.StartNew();
        await Generate(options, connectionString, now);
        Console.WriteLine($"generated {options.Contacts:N0} contacts and {options.Events:N0} events in {load.Elapsed.TotalSeconds:0.0} s");
    }

    var compiler = new SegmentCompiler(clock);
    foreach (var (name, rule) in options.Counts ? Segments.All : [])
    {
        var parse = SegmentRuleParser.Parse(rule);
        if (!parse.Ok)
        {
            throw new InvalidOperationException(string.Join("; ", parse.Errors));
        }
        var times = new List<double>();
        long count = 0;
        for (var run = 0; run < options.Runs; run++)
        {
            var watch = Stopwatch.StartNew();
            count = await db.Audience.CountAsync(compiler.Compile(parse.Rule!, options.Database), CancellationToken.None);
            times.Add(watch.Elapsed.TotalSeconds);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{options.Database,-8} {name,-34} count {count,9:N0}   runs {string.Join(" / ", times.Select(t => $"{t:0.00} s"))}   median {times.Order().ElementAt(times.Count / 2):0.00} s"));
    }
    if (options.Freeze)
    {
        var target = SegmentRuleParser.Parse(Segments.All[0].Rule).Rule!;
        foreach (var (name, audience) in new (string, Herald.Storage.Records.CampaignAudience)[]
        {
            ("freeze: every contact", new Herald.Storage.Records.CampaignAudience.Everyone()),
            ("freeze: three conditions", new Herald.Storage.Records.CampaignAudience.Segment(compiler.Compile(target, options.Database))),
        })
        {
            var times = new List<double>();
            long? frozen = 0;
            for (var run = 0; run < options.Runs; run++)
            {
                var id = $"cmp_bench_{Guid.NewGuid():N}";
                await db.Campaigns.CreateAsync(new Herald.Storage.Records.CampaignRecord { Id = id, Name = "bench", Status = "draft", Definition = "{}", CreatedAt = now, UpdatedAt = now },
                    CancellationToken.None);
                var watch = Stopwatch.StartNew();
                frozen = await db.Campaigns.LaunchAsync(id, audience, now, null, "scheduled", null, CancellationToken.None);
                times.Add(watch.Elapsed.TotalSeconds);
                await using var cleanup = options.Database == "sqlite" ? (DbConnection)new SqliteConnection(connectionString) : new NpgsqlConnection(connectionString);
                await cleanup.OpenAsync();
                await cleanup.ExecuteAsync("DELETE FROM campaign_recipients WHERE campaign_id = @id; DELETE FROM campaigns WHERE id = @id", new { id }, commandTimeout: 3600);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{options.Database,-8} {name,-34} rows  {frozen,9:N0}   runs {string.Join(" / ", times.Select(t => $"{t:0.00} s"))}   median {times.Order().ElementAt(times.Count / 2):0.00} s"));
        }
    }
}
finally
{
    if (sqliteFile is not null && !options.Keep)
    {
        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { sqliteFile, sqliteFile + "-wal", sqliteFile + "-shm" })
        {
            File.Delete(path);
        }
    }
    if (dropDatabase is not null && !options.Keep)
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(Environment.GetEnvironmentVariable("HERALD_TEST_POSTGRES"));
        await admin.OpenAsync();
        await admin.ExecuteAsync($"DROP DATABASE IF EXISTS \"{dropDatabase}\" WITH (FORCE)");
    }
}
return 0;

static async Task Generate(Options options, string connectionString, DateTimeOffset now)
{
    var sqlite = options.Database == "sqlite";
    await using DbConnection connection = sqlite
        ? new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false, DefaultTimeout = 3600 }.ToString())
        : new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    var p = new { contacts = options.Contacts, events = options.Events, at = now.ToUnixTimeMilliseconds(), span = 90L * 86_400_000 };
    async Task Step(string what, string sql)
    {
        var watch = Stopwatch.StartNew();
        await connection.ExecuteAsync(sql, p, commandTimeout: 3600);
        Console.WriteLine($"  {what}: {watch.Elapsed.TotalSeconds:0.0} s");
    }
    if (sqlite)
    {
        await connection.ExecuteAsync("PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
    }
    // Series of integers, contacts with a city, age, plan and signup date, 60 % in India.
    var series = sqlite
        ? "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {0} - 1) "
        : "";
    string From(string count) => sqlite ? "FROM n" : $"FROM generate_series(0, {count} - 1) AS n(i)";
    string Pad(string value, int width) => sqlite ? $"printf('%0{width}d', {value})" : $"lpad(({value})::text, {width}, '0')";
    var city = "CASE i % 8 WHEN 0 THEN 'Pune' WHEN 1 THEN 'Mumbai' WHEN 2 THEN 'Delhi' WHEN 3 THEN 'Chennai' WHEN 4 THEN 'Austin' WHEN 5 THEN 'London' WHEN 6 THEN 'Kolkata' ELSE 'Jaipur' END";
    var signup = sqlite ? "date('2024-01-01', '+' || (i % 800) || ' days')" : "to_char(date '2024-01-01' + (i % 800)::int, 'YYYY-MM-DD')";
    await Step("contacts", (sqlite ? string.Format(CultureInfo.InvariantCulture, series, "@contacts") : "") + $"""
        INSERT INTO contacts (id, phone, external_id, country, timezone, locale, attributes, erased_at, created_at, updated_at)
        SELECT 'ct_' || {Pad("i", 7)}, '+9190' || {Pad("i", 8)}, NULL,
            CASE WHEN i % 10 < 6 THEN 'IN' WHEN i % 10 < 8 THEN 'US' ELSE 'GB' END, NULL, NULL,
            '{"{"}"city":"' || {city} || '","age":' || (18 + i % 60) || ',"plan":"' || CASE i % 3 WHEN 0 THEN 'free' WHEN 1 THEN 'gold' ELSE 'platinum' END
                || '","signup":"' || {signup} || '"{"}"}',
            CASE WHEN i % 1000 = 999 THEN @at ELSE NULL END, @at, @at
        {From("@contacts")}
        """);
    await Step("consents", (sqlite ? string.Format(CultureInfo.InvariantCulture, series, "@contacts") : "") + $"""
        INSERT INTO contact_consents (contact_id, category, granted, source, at)
        SELECT 'ct_' || {Pad("i", 7)}, 'promotional', CASE WHEN i % 3 = 0 THEN 0 ELSE 1 END, 'import', @at {From("@contacts")}
        """);
    // Events: ten per contact in contact order, four names, spread over 90 days, a value 0-1999.
    await connection.ExecuteAsync("DROP INDEX ix_events_contact; DROP INDEX ix_events_name;");
    await Step("events", (sqlite ? string.Format(CultureInfo.InvariantCulture, series, "@events") : "") + $"""
        INSERT INTO events (message_id, contact_id, user_id, anonymous_id, type, name, properties, at, received_at)
        SELECT 'ev' || i, 'ct_' || {Pad("i / 10", 7)}, NULL, NULL, 'track',
            CASE (i * 7 + i / 10) % 4 WHEN 0 THEN 'added_to_cart' WHEN 1 THEN 'viewed_product' WHEN 2 THEN 'checkout_completed' ELSE 'app_opened' END,
            '{"{"}"value":' || ((i * 7919) % 2000) || '{"}"}', @at - ((i * 2654435761) % @span), @at - ((i * 2654435761) % @span)
        {From("@events")}
        """);
    await Step("event indexes", "CREATE INDEX ix_events_contact ON events (contact_id, name, at); CREATE INDEX ix_events_name ON events (name, at);");
    await Step("aggregates", """
        INSERT INTO contact_event_stats (contact_id, name, count, first_at, last_at)
        SELECT contact_id, name, COUNT(*), MIN(at), MAX(at) FROM events GROUP BY contact_id, name
        """);
    await Step("analyze", sqlite ? "ANALYZE;" : "VACUUM ANALYZE;");
}

internal sealed record Options(string Database, long Contacts, long Events, int Runs, bool Keep, string? Reuse, bool Freeze, bool Counts);

internal static class Args
{
    public static Options Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
        }
        var database = Value("--database", "sqlite");
        if (database is not ("sqlite" or "postgres"))
        {
            throw new ArgumentException("--database is sqlite or postgres.");
        }
        return new Options(database, long.Parse(Value("--contacts", "1000000"), CultureInfo.InvariantCulture),
            long.Parse(Value("--events", "10000000"), CultureInfo.InvariantCulture), int.Parse(Value("--runs", "3"), CultureInfo.InvariantCulture),
            args.Contains("--keep") || args.Contains("--reuse"), Value("--reuse", "") is { Length: > 0 } reuse ? reuse : null,
            args.Contains("--freeze"), !args.Contains("--no-counts"));
    }
}

internal static class Segments
{
    public static readonly (string Name, string Rule)[] All =
    [
        ("three conditions (the target)", """
            {"all": [{"country": "IN"}, {"attribute": "city", "op": "in", "value": ["Pune", "Mumbai"]},
                     {"event": "added_to_cart", "performed": {"atLeast": 1, "within": "P7D"}}]}
            """),
        ("consent + where on properties", """
            {"all": [{"consent": "promotional"}, {"attribute": "age", "op": "between", "value": [25, 40]},
                     {"event": "added_to_cart", "performed": {"atLeast": 1, "within": "P7D", "where": {"attribute": "properties.value", "op": "gt", "value": 500}}}]}
            """),
        ("count in window + not performed", """
            {"all": [{"country": "IN"}, {"event": "viewed_product", "performed": {"atLeast": 2, "within": "P30D"}},
                     {"event": "checkout_completed", "notPerformed": {"within": "P14D"}}]}
            """),
        ("date + random 10 %", """
            {"all": [{"attribute": "signup", "op": "after", "value": "2025-06-01"}, {"attribute": "plan", "op": "neq", "value": "free"},
                     {"randomPercent": 10, "seed": "bench"}]}
            """),
    ];
}

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
