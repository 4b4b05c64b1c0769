using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

// herald-journey-bench [--database sqlite|postgres] [--due 10000] [--waiting 1000000]
// Starts the real server in this process on a fresh database (dispatch off: this measures the journey runner, not a provider),
// publishes a journey "added_to_cart → wait up to 1 h for checkout_completed → send SMS → exit", then
// 1. writes --waiting instances that wait for days and measures the server's managed heap and working set before and after;
// 2. writes --due instances whose wait times out at the same second, and times how long until every one has sent its SMS
//    (its message stored with the idempotency key) and exited.
var database = Arg("--database", "sqlite");
var due = int.Parse(Arg("--due", "10000"), CultureInfo.InvariantCulture);
var waiting = int.Parse(Arg("--waiting", "1000000"), CultureInfo.InvariantCulture);
const string ApiKey = "hk_bench_key_0123456789abcdef";

var dataDir = Directory.CreateTempSubdirectory("herald-journey-bench-").FullName;
var settings = new Dictionary<string, string?>
{
    ["urls"] = "http://127.0.0.1:0",
    ["Herald:DataDir"] = dataDir,
    ["Herald:ApiKey"] = ApiKey,
    ["Herald:Providers:AllowInsecureLoopback"] = "true",
    ["Herald:Dispatch:Enabled"] = "false",
    ["Herald:Journeys:PollInterval"] = "00:00:00.100",
};
string? pgDatabase = null;
if (database == "postgres")
{
    var server = Environment.GetEnvironmentVariable("HERALD_TEST_POSTGRES")
        ?? throw new InvalidOperationException("Set HERALD_TEST_POSTGRES, e.g. export HERALD_TEST_POSTGRES=\"$(scripts/postgres.sh url)\"");
    pgDatabase = $"herald_journeybench_{Guid.NewGuid():N}";
    await using (var admin = new NpgsqlConnection(server))
    {
        await admin.OpenAsync();
        await admin.ExecuteAsync($"CREATE DATABASE \"{pgDatabase}\"");
    }
    settings["Herald:Database:Provider"] = "postgres";
    settings["Herald:Database:ConnectionString"] = new NpgsqlConnectionStringBuilder(server) { Database = pgDatabase, CommandTimeout = 3600 }.ToString();
}

var app = HeraldServer.Build(settings, logging => logging.SetMinimumLevel(LogLevel.Warning));
await HeraldServer.InitializeAsync(app, CancellationToken.None);
await app.StartAsync();
try
{
    using var services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
    using var api = services.GetRequiredService<IHttpClientFactory>().CreateClient();
    api.BaseAddress = new Uri(app.Urls.First());
    api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    (await api.PostAsJsonAsync("/api/v1/providers", new
    {
        nickname = "Bench",
        kind = "generic",
        settings = new { endpoint = "http://127.0.0.1:9/send", parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" } } },
    })).EnsureSuccessStatusCode();
    var created = await (await api.PostAsJsonAsync("/api/v1/journeys", JsonNode.Parse("""
        {
          "name": "Bench cart",
          "nodes": [
            { "id": "cart", "type": "trigger", "event": "added_to_cart", "next": "wait" },
            { "id": "wait", "type": "waitForEvent", "event": "checkout_completed", "matchTrigger": ["cart_id"], "timeout": "PT1H", "onEvent": "done", "onTimeout": "remind" },
            { "id": "remind", "type": "sendSms", "messageType": "txn", "body": "You left {{ event.properties.item_name }} in your cart: {{ event.properties.cart_url }}", "next": "done" },
            { "id": "done", "type": "exit" }
          ]
        }
        """))).Content.ReadFromJsonAsync<JsonObject>();
    var journey = created!["id"]!.GetValue<string>();
    (await api.PostAsync($"/api/v1/journeys/{journey}/publish", null)).EnsureSuccessStatusCode();

    Func<DbConnection> open = database == "postgres"
        ? () => new NpgsqlConnection(settings["Herald:Database:ConnectionString"])
        : () => new SqliteConnection($"Data Source={Path.Combine(dataDir, "herald.db")};Default Timeout=600");
    var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();

    var (heapBefore, setBefore) = Memory();
    var write = Stopwatch.StartNew();
    await using (var connection = open())
    {
        await connection.OpenAsync();
        // Waiting instances: their contacts need not exist (nobody claims them for days).
        var series = database == "postgres" ? $"SELECT g AS n FROM generate_series(1, {waiting}) g"
            : $"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {waiting}) SELECT n FROM s";
        await connection.ExecuteAsync($"""
            INSERT INTO journey_instances (journey_id, version, contact_id, node, waiting, status, wake_at, entry_key, trigger_message_id, trigger_name,
                trigger_properties, trigger_at, entered_at, updated_at)
            SELECT @journey, 1, 'w' || n, 'wait', 1, 'active', @later + n, 'w' || n, 'w' || n, 'added_to_cart', '{"{"}"cart_id":"c"{"}"}', @now, @now, @now
            FROM ({series}) AS s
            """, new { journey, later = now + (long)TimeSpan.FromDays(3).TotalMilliseconds, now }, commandTimeout: 3600);
    }
    Console.WriteLine($"{database}: wrote {waiting:N0} waiting instances in {write.Elapsed.TotalSeconds:0.0} s");
    await Task.Delay(TimeSpan.FromSeconds(3)); // a few runner passes over the table
    var (heapAfter, setAfter) = Memory();
    Console.WriteLine($"{database}: server managed heap {heapBefore / 1e6:0.0} MB → {heapAfter / 1e6:0.0} MB, working set {setBefore / 1e6:0} MB → {setAfter / 1e6:0} MB with {waiting:N0} instances waiting");

    // The due instances: contacts with numbers, instances whose wait times out at the same second.
    var dueAt = (TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() / 1000 + 8) * 1000;
    await using (var connection = open())
    {
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO contacts (id, phone, country, attributes, created_at, updated_at) VALUES (@id, @phone, 'DE', '{}', 0, 0)
            """, Enumerable.Range(0, due).Select(i => new { id = $"b{i}", phone = $"+4915156{i:D6}" }), transaction);
        await connection.ExecuteAsync($"""
            INSERT INTO journey_instances (journey_id, version, contact_id, node, waiting, status, wake_at, entry_key, trigger_message_id, trigger_name,
                trigger_properties, trigger_at, entered_at, updated_at)
            VALUES (@journey, 1, @id, 'wait', 1, 'active', @dueAt, @id, @id, 'added_to_cart', @properties, @now, @now, @now)
            """, Enumerable.Range(0, due).Select(i => new
        {
            journey, id = $"b{i}", dueAt, now,
            properties = $$"""{"cart_id":"c{{i}}","item_name":"blue shoes","cart_url":"https://shop.example/c/{{i}}"}""",
        }), transaction);
        await transaction.CommitAsync();
    }
    Console.WriteLine($"{database}: {due:N0} instances due at {DateTimeOffset.FromUnixTimeMilliseconds(dueAt):HH:mm:ss.fff}");
    while (TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() < dueAt)
    {
        await Task.Delay(10);
    }
    long done;
    var clock = Stopwatch.StartNew();
    await using (var connection = open())
    {
        await connection.OpenAsync();
        do
        {
            await Task.Delay(50);
            done = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM journey_instances WHERE status = 'exited' AND contact_id LIKE 'b%'");
        }
        while (done < due && clock.Elapsed < TimeSpan.FromMinutes(5));
        var messages = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM messages WHERE source = 'journey'");
        var keys = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM idempotency_keys WHERE key LIKE 'journey:%'");
        var last = await connection.ExecuteScalarAsync<long>("SELECT MAX(updated_at) FROM journey_instances WHERE contact_id LIKE 'b%'");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{database}: {done:N0} of {due:N0} due timers fired (SMS stored: {messages:N0}, keys {keys:N0}); the last {(last - dueAt) / 1000.0:0.00} s after they came due"));
    }
    var (heapEnd, setEnd) = Memory();
    Console.WriteLine($"{database}: after the run: managed heap {heapEnd / 1e6:0.0} MB, working set {setEnd / 1e6:0} MB");
}
finally
{
    await app.StopAsync();
    await app.DisposeAsync();
    SqliteConnection.ClearAllPools();
    NpgsqlConnection.ClearAllPools();
    if (pgDatabase is not null)
    {
        await using var admin = new NpgsqlConnection(Environment.GetEnvironmentVariable("HERALD_TEST_POSTGRES"));
        await admin.OpenAsync();
        await admin.ExecuteAsync($"DROP DATABASE IF EXISTS \"{pgDatabase}\" WITH (FORCE)");
    }
    Directory.Delete(dataDir, recursive: true);
}

static (long Heap, long WorkingSet) Memory()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    using var process = Process.GetCurrentProcess();
    return (GC.GetTotalMemory(forceFullCollection: true), process.WorkingSet64);
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
