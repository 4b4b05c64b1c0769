using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Hosting;
using Herald.Simulator;
using Npgsql;

namespace Herald.Tests.Infrastructure;

/// <summary>Which database a test runs against.</summary>
public enum TestDatabase
{
    Sqlite,
    Postgres,
}

/// <summary>A real Herald server on a free loopback port, with its own data folder and database.</summary>
public sealed class HeraldInstance : IAsyncDisposable
{
    public const string ApiKey = "hk_test_key_0123456789abcdef";

    private readonly WebApplication _app;
    private readonly string? _postgresDatabase;

    private HeraldInstance(WebApplication app, string dataDir, string? postgresDatabase, IReadOnlyDictionary<string, string?> settings)
    {
        _app = app;
        DataDir = dataDir;
        _postgresDatabase = postgresDatabase;
        Settings = settings;
        BaseUrl = new Uri(app.Urls.First());
        Api = TestHttp.Create(BaseUrl, ApiKey);
        Anonymous = TestHttp.Create(BaseUrl);
    }

    public Uri BaseUrl { get; }
    public string DataDir { get; }
    public IReadOnlyDictionary<string, string?> Settings { get; }
    public HttpClient Api { get; }
    public HttpClient Anonymous { get; }
    public IServiceProvider Services => _app.Services;

    public static async Task<HeraldInstance> StartAsync(TestDatabase database = TestDatabase.Sqlite, string? dataDir = null,
        IReadOnlyDictionary<string, string?>? extra = null, string? postgresDatabase = null, LogCapture? logs = null, TimeProvider? clock = null)
    {
        dataDir ??= Directory.CreateTempSubdirectory("herald-test-").FullName;
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Herald:DataDir"] = dataDir,
            ["Herald:ApiKey"] = ApiKey,
            ["Herald:Providers:AllowInsecureLoopback"] = "true",
        };
        if (database == TestDatabase.Postgres)
        {
            postgresDatabase ??= await CreatePostgresDatabaseAsync();
            settings["Herald:Database:Provider"] = "postgres";
            settings["Herald:Database:ConnectionString"] = PostgresConnectionString(postgresDatabase);
        }
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var app = HeraldServer.Build(settings, logging =>
        {
            logging.SetMinimumLevel(LogLevel.Warning);
            if (logs is not null)
            {
                logging.AddProvider(logs);
            }
        }, clock);
        await HeraldServer.InitializeAsync(app, CancellationToken.None);
        await app.StartAsync();
        return new HeraldInstance(app, dataDir, postgresDatabase, settings);
    }

    /// <summary>Stops this server and starts another on the same data folder and database (a restart).</summary>
    public Task<HeraldInstance> RestartAsync() => RestartAsync(TestDatabase.Sqlite, null);

    /// <summary>Stops this server and starts another on the same data folder and database (SQLite or this PostgreSQL one), on <paramref name="clock"/>.</summary>
    public async Task<HeraldInstance> RestartAsync(TestDatabase database, TimeProvider? clock)
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        var extra = Settings.Where(s => s.Key != "urls").ToDictionary(s => s.Key, s => s.Value);
        return await StartAsync(database, DataDir, extra, _postgresDatabase, clock: clock);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync();
        }
        catch (ObjectDisposedException)
        {
            // already stopped by a restart
        }
        await _app.DisposeAsync();
        Api.Dispose();
        Anonymous.Dispose();
        if (_postgresDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(AdminConnectionString());
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_postgresDatabase}\" WITH (FORCE)", connection);
            // An autovacuum worker busy in the database cannot be terminated by the test role (42501): it finishes soon.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await command.ExecuteNonQueryAsync();
                    break;
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 20)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250));
                }
            }
        }
    }

    // ------------------------------------------------------------ API helpers

    /// <summary>Creates a provider configured exactly like the seed, pointed at <paramref name="simulator"/>, and sets its callback_url header to its own callback URL.</summary>
    public async Task<JsonObject> CreateSeedProviderAsync(SimulatorHost simulator, SimulatorOptions options, string nickname = "Kaleyra_SMS")
    {
        var response = await Api.PostAsJsonAsync("/api/v1/providers", SeedProvider(nickname, simulator, options, "https://placeholder.invalid/"));
        var created = await ReadObjectAsync(response, System.Net.HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        var callback = created["callbackUrl"]!.GetValue<string>();
        var updated = await Api.PutAsJsonAsync($"/api/v1/providers/{id}", SeedProvider(nickname, simulator, options, callback));
        return await ReadObjectAsync(updated, System.Net.HttpStatusCode.OK);
    }

    public static object SeedProvider(string nickname, SimulatorHost simulator, SimulatorOptions options, string callbackUrl) =>
        SeedProvider(nickname, simulator.ConnectorUrl, options.ApiKey, options.Sid, callbackUrl);

    /// <summary>The seed's provider pointed at a simulator's connector face (a <c>herald simulate</c> process, say).</summary>
    public static object SeedProvider(string nickname, Uri connectorUrl, string apiKey, string sid, string callbackUrl) => new
    {
        nickname,
        kind = "generic",
        settings = new
        {
            requestType = "POST",
            endpoint = connectorUrl.ToString(),
            authentication = new { type = "none" },
            headers = new[]
            {
                new { key = "api-key", value = apiKey },
                new { key = "sid", value = sid },
                new { key = "kaleyra-host", value = "api.in.kaleyra.io" },
                new { key = "callback_url", value = callbackUrl },
            },
            bodyType = "form",
            parameters = new[]
            {
                new { key = "to", value = "$$To" },
                new { key = "sender", value = "$$Sender" },
                new { key = "body", value = "$$Body" },
                new { key = "template_id", value = "$$TemplateID" },
                new { key = "message_id", value = "$$MessageID" },
                new { key = "campaign_id", value = "$$CampaignID" },
                new { key = "type", value = "$$TYPE" },
                new { key = "long_url", value = "$$LongURL" },
            },
        },
    };

    public async Task<JsonObject> TestSmsAsync(string providerId, string mobile, string message = "This is a test message powered by Kaleyra",
        object? dynamicFields = null)
    {
        var response = await Api.PostAsJsonAsync($"/api/v1/providers/{providerId}/test-sms", new
        {
            countryCode = "+91",
            mobile,
            message,
            dynamicFields = dynamicFields ?? new { sender = "KLRHXA", type = "OTP" },
        });
        return await ReadObjectAsync(response, System.Net.HttpStatusCode.OK);
    }

    public async Task<JsonObject> GetProviderSettingsAsync(string id) =>
        (await ReadObjectAsync(await Api.GetAsync($"/api/v1/providers/{id}"), System.Net.HttpStatusCode.OK))["settings"]!.AsObject();

    public async Task<JsonObject> GetMessageAsync(string id) =>
        await ReadObjectAsync(await Api.GetAsync($"/api/v1/messages/{id}"), System.Net.HttpStatusCode.OK);

    /// <summary>Waits until the message reaches <paramref name="status"/>.</summary>
    public Task<JsonObject> WaitForStatusAsync(string id, string status) =>
        TestHttp.EventuallyAsync(async () =>
        {
            var message = await GetMessageAsync(id);
            return message["status"]!.GetValue<string>() == status ? message : null;
        }, $"message {id} to become {status}");

    public static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response, System.Net.HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    // ------------------------------------------------------------ PostgreSQL

    public static string PostgresBase() =>
        Environment.GetEnvironmentVariable("HERALD_TEST_POSTGRES")
        ?? throw new InvalidOperationException("HERALD_TEST_POSTGRES is not set: run the tests with ./test.sh, which starts PostgreSQL.");

    private static string AdminConnectionString() => new NpgsqlConnectionStringBuilder(PostgresBase()) { Pooling = false }.ToString();

    private static string PostgresConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(PostgresBase()) { Database = database }.ToString();

    public static async Task<string> CreatePostgresDatabaseAsync()
    {
        var name = "herald_it_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    public static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);
}
