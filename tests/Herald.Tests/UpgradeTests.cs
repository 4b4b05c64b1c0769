using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Tests.Connect;
using Herald.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Herald.Tests;

/// <summary>
/// Issue 9: "migrations carry existing data forward". The current <c>herald</c> binary starts on a data folder made by the
/// previous release's binary (Fixtures/make-previous-release-db.sh: the seed's provider, API sends, a test SMS and Kaleyra
/// connector traffic with sent, pending and dead relays) and a user finds everything where it was: messages and timelines,
/// a provider that still sends, connector messages with their relays and Kaleyra callbacks, old callback URLs that still
/// work, CleverTap retries answered as duplicates, and the relays left pending delivered by the outbox.
/// What the old release stored is read from the fixture itself, so a re-made fixture needs no change here.
/// </summary>
public sealed class UpgradeTests : IAsyncDisposable
{
    // As in make-previous-release-db.sh.
    private const string ApiKey = "hk_upgrade_fixture_0123456789abcdef";
    private const int SimulatorPort = 29411;
    private const int CleverTapPort = 29412;
    private const string KaleyraApiKey = "KALEYRA_API_KEY";
    private const string Sid = "HXIN00000001";

    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    private readonly string _dataDir = Directory.CreateTempSubdirectory("herald-upgrade-").FullName;
    private readonly List<IAsyncDisposable> _running = [];
    private HttpClient? _api;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        _api?.Dispose();
        foreach (var running in Enumerable.Reverse(_running))
        {
            await running.DisposeAsync();
        }
    }

    [Fact]
    public async Task Upgrade_PreviousReleaseDatabase_KeepsEveryMessageWithItsStatusAndTimeline()
    {
        var old = OldDatabase.Read();
        var (herald, api) = await StartUpgradedAsync();

        var listed = new Dictionary<string, JsonObject>();
        string? cursor = null;
        do
        {
            var page = await ReadAsync(await api.GetAsync($"/api/v1/messages?limit=100{(cursor is null ? "" : "&cursor=" + cursor)}", Ct));
            foreach (var item in page["items"]!.AsArray())
            {
                listed[item!["id"]!.GetValue<string>()] = item.AsObject();
            }
            cursor = page["next"]?.GetValue<string>();
        }
        while (cursor is not null);

        Assert.Equal(old.Messages.Keys.Order(), listed.Keys.Order());
        foreach (var (id, message) in old.Messages)
        {
            Assert.Equal(message.Status, listed[id]["status"]!.GetValue<string>());
            var shown = await ReadAsync(await api.GetAsync($"/api/v1/messages/{id}", Ct));
            Assert.Equal(message.Status, shown["status"]!.GetValue<string>());
            Assert.Equal(message.To, shown["to"]!.GetValue<string>());
            Assert.Equal(message.Source, shown["source"]!.GetValue<string>());
            Assert.Equal(message.ProviderMessageId, shown["providerMessageId"]?.GetValue<string>());
            // The old timeline, entry for entry; the new release may only add to it (e.g. an outbox attempt of a pending relay).
            var timeline = shown["timeline"]!.AsArray()
                .Select(e => new OldEvent(e!["source"]!.GetValue<string>(), e["event"]!.GetValue<string>(), e["note"]?.GetValue<string>())).ToList();
            Assert.True(timeline.Count >= message.Timeline.Count, $"message {id} lost timeline entries: {string.Join(", ", timeline)}");
            Assert.Equal(message.Timeline, timeline.Take(message.Timeline.Count));
        }
        Assert.Contains(old.Messages.Values, m => m.Source == "api" && m.Status == "delivered");
        Assert.Contains(old.Messages.Values, m => m.Source == "test" && m.Status == "delivered");
        Assert.Contains(old.Messages.Values, m => m.Source == "connector" && m.Status == "failed");
        Assert.False(herald.HasExited);
    }

    [Fact]
    public async Task Upgrade_ProviderFromThePreviousRelease_StillSendsThroughTheSimulator()
    {
        await using var simulator = await StartSimulatorAsync();
        var (_, api) = await StartUpgradedAsync();

        var provider = await ReadAsync(await api.GetAsync("/api/v1/providers/Kaleyra_SMS", Ct));
        Assert.Equal("****", provider["settings"]!["headers"]!.AsArray().Single(h => h!["key"]!.GetValue<string>() == "api-key")!["value"]!.GetValue<string>());
        var sent = await ReadAsync(await api.PostAsJsonAsync("/api/v1/messages", new
        {
            to = "+919812345699",
            body = "Your OTP is 271828",
            type = "otp",
            sender = "KLRHXA",
            provider = "Kaleyra_SMS",
            dynamicFields = new { type = "OTP" },
        }, Ct), HttpStatusCode.Accepted);
        var id = sent["id"]!.GetValue<string>();

        await WaitForStatusAsync(api, id, "delivered");
        // The provider's secrets were decrypted with the old data folder's key ring: the simulator got the real api-key.
        var request = simulator.Inspector.GetRequests().Single(r => r.Path == "/connector/sms");
        Assert.Equal(KaleyraApiKey, request.Headers["api-key"]);
    }

    [Fact]
    public async Task Upgrade_OldConnectorMessages_ShowTheirRelaysAndCallbacks_AndThePendingRelaysAreDelivered()
    {
        var old = OldDatabase.Read();
        await using var cleverTap = await CleverTapReceiver.StartAsync($"http://127.0.0.1:{CleverTapPort}");
        var (_, api) = await StartUpgradedAsync();

        // The relays the old release left pending (nothing listened at their callback URL) go out once it listens.
        var pending = old.Relays.Where(r => r.Status == "pending").ToList();
        Assert.True(pending.Count >= 2, "the fixture has pending relays");
        var posts = await TestHttp.EventuallyAsync(() => Task.FromResult(
            cleverTap.Accepted.Sum(p => p.Records.Count()) >= pending.Count ? cleverTap.Accepted : null), $"{pending.Count} relayed records");
        var records = posts.SelectMany(p => p.Records).ToList();
        Assert.Equal(pending.Select(r => (r.Event, r.Meta)).Order(), records.Select(r => (r.Event, r.Record["meta"]!.GetValue<string>())).Order());
        var failed = Assert.Single(records, r => r.Event == "failed").Record;
        Assert.Equal("901", failed["code"]!.GetValue<string>());

        foreach (var connector in old.Connector.Values)
        {
            var view = await TestHttp.EventuallyAsync(async () =>
            {
                var found = await ReadAsync(await api.GetAsync($"/api/v1/connector/kaleyra/messages/{connector.MessageId}", Ct));
                return found["relays"]!.AsArray().All(r => r!["status"]!.GetValue<string>() != "pending") ? found : null;
            }, $"connector message {connector.MessageId}'s relays to settle");
            Assert.Equal(connector.ExternalId, view["externalId"]!.GetValue<string>());
            Assert.Equal(connector.CallbackUrl, view["callbackUrl"]!.GetValue<string>());
            Assert.Equal(connector.Host, view["kaleyraHost"]!.GetValue<string>());

            var relays = view["relays"]!.AsArray();
            var oldRelays = old.Relays.Where(r => r.MessageId == connector.MessageId).ToList();
            Assert.Equal(oldRelays.Count, relays.Count);
            foreach (var (was, now) in oldRelays.Zip(relays))
            {
                Assert.Equal(was.Event, now!["event"]!.GetValue<string>());
                Assert.Equal(was.Meta, now["payload"]!["meta"]!.GetValue<string>());
                // sent and dead stay as they were; pending went out now, on its second attempt.
                Assert.Equal(was.Status == "pending" ? "sent" : was.Status, now["status"]!.GetValue<string>());
                Assert.Equal(was.Status == "pending" ? was.Attempts + 1 : was.Attempts, now["attempts"]!.GetValue<int>());
            }

            var callbacks = view["callbacks"]!.AsArray();
            Assert.Equal(old.Callbacks.Where(c => c.MessageId == connector.MessageId).Select(c => c.Body).Order(),
                callbacks.Select(c => c!["body"]!.GetValue<string>()).Order());
            Assert.All(callbacks, c => Assert.NotNull(c!["processedAt"]));
        }
        Assert.Contains(old.Relays, r => r.Status == "sent");
        Assert.Contains(old.Relays, r => r.Status == "dead");
        Assert.Contains(old.Callbacks, c => c.Body.Contains("status=Delivered", StringComparison.Ordinal));

        // The pending relays' new attempts are on their messages' timelines.
        foreach (var relay in pending)
        {
            var message = await ReadAsync(await api.GetAsync($"/api/v1/messages/{relay.MessageId}", Ct));
            Assert.Equal("relay/relayed", message["timeline"]!.AsArray().Select(e => $"{e!["source"]}/{e["event"]}").Last());
        }
    }

    [Fact]
    public async Task Upgrade_KaleyraCallbackToAnOldCallbackUrl_IsAppliedAndRelayed()
    {
        var old = OldDatabase.Read();
        // The message Kaleyra accepted before the upgrade and has not reported on yet.
        var waiting = old.Connector.Values.Single(c => c.ExternalId == "ct-fixture-waiting");
        Assert.Equal("accepted", old.Messages[waiting.MessageId].Status);
        await using var cleverTap = await CleverTapReceiver.StartAsync($"http://127.0.0.1:{CleverTapPort}");
        var (herald, api) = await StartUpgradedAsync();
        using var kaleyra = TestHttp.Create(herald.BaseUrl);
        var callbackPath = $"/connect/kaleyra/callback/{waiting.MessageId}.{waiting.CallbackToken}";

        var wrongToken = await kaleyra.PostAsync($"/connect/kaleyra/callback/{waiting.MessageId}.not-the-token", Form(waiting, "Delivered"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, wrongToken.StatusCode);
        var sentAnswer = await ReadAsync(await kaleyra.PostAsync(callbackPath, Form(waiting, "Sent"), Ct));
        var deliveredAnswer = await ReadAsync(await kaleyra.PostAsync(callbackPath, Form(waiting, "Delivered"), Ct));

        Assert.Equal("success", sentAnswer["status"]!.GetValue<string>());
        Assert.Equal("success", deliveredAnswer["status"]!.GetValue<string>());
        Assert.Equal(1, deliveredAnswer["processed"]!.GetValue<int>());
        var message = await WaitForStatusAsync(api, waiting.MessageId, "delivered");
        var events = message["timeline"]!.AsArray().Select(e => $"{e!["source"]}/{e["event"]}").ToList();
        Assert.Equal(old.Messages[waiting.MessageId].Timeline.Select(e => $"{e.Source}/{e.Event}"), events.Take(old.Messages[waiting.MessageId].Timeline.Count));
        Assert.Contains("dlr/Sent", events);
        Assert.Contains("dlr/Delivered", events);

        // CleverTap gets its delivered event, with its own message_id as meta, once.
        var record = await TestHttp.EventuallyAsync(() => Task.FromResult(
            cleverTap.Accepted.SelectMany(p => p.Records).FirstOrDefault(r => r.Record["meta"]!.GetValue<string>() == "ct-fixture-waiting") is { Record: { } r } ? r : null),
            "the delivered event for ct-fixture-waiting");
        Assert.Equal(1, cleverTap.Accepted.SelectMany(p => p.Records).Count(r => r.Record["meta"]!.GetValue<string>() == "ct-fixture-waiting"));
        Assert.Equal("DELIVERED", record["description"]!.GetValue<string>());
        var view = await TestHttp.EventuallyAsync(async () =>
        {
            var found = await ReadAsync(await api.GetAsync($"/api/v1/connector/kaleyra/messages/{waiting.MessageId}", Ct));
            return found["relays"]!.AsArray() is [{ } relay] && relay["status"]!.GetValue<string>() == "sent" ? found : null;
        }, "the relay of ct-fixture-waiting to be recorded as sent");
        // The raw callbacks kept: Sent, the first plain success since the start (the one-in-100 sample of
        // Herald:Dispatch:KeepSuccessBodiesOneIn); Delivered, a plain success too, was applied and not kept.
        Assert.Single(view["callbacks"]!.AsArray());
    }

    [Fact]
    public async Task Upgrade_CleverTapRetriesAnOldMessageId_IsAnsweredAsADuplicateAndNotSentAgain()
    {
        var old = OldDatabase.Read();
        await using var simulator = await StartSimulatorAsync();
        var (herald, _) = await StartUpgradedAsync();
        using var cleverTap = TestHttp.Create(herald.BaseUrl);

        foreach (var externalId in new[] { "ct-fixture-pending", "ct-fixture-retried", "ct-fixture-dead" })
        {
            // For ct-fixture-retried Kaleyra refused the first message and CleverTap's retry made a second: that one is the answer.
            var expected = old.Connector.Values.Where(c => c.ExternalId == externalId).MaxBy(c => c.MessageId)!;
            var answer = await ReadAsync(await cleverTap.SendAsync(ConnectRequest(externalId, expected.CallbackUrl), Ct));

            Assert.Equal("accepted", answer["status"]!.GetValue<string>());
            Assert.True(answer["duplicate"]!.GetValue<bool>(), $"{externalId}: {answer}");
            Assert.Equal(expected.MessageId, answer["herald_id"]!.GetValue<string>());
            Assert.Equal(old.Messages[expected.MessageId].ProviderMessageId, answer["kaleyra_id"]!.GetValue<string>());
        }
        Assert.Contains(old.Messages.Values, m => m.Source == "connector" && m.Status == "failed");
        Assert.DoesNotContain(simulator.Inspector.GetRequests(), r => r.Path.StartsWith("/v1/", StringComparison.Ordinal));
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Copies the fixture into a fresh data folder and starts the current binary on it, as an upgraded server.</summary>
    private async Task<(Upgraded Herald, HttpClient Api)> StartUpgradedAsync()
    {
        File.Copy(Path.Combine(Fixtures, "herald-previous-release.db"), Path.Combine(_dataDir, "herald.db"));
        var keys = Directory.CreateDirectory(Path.Combine(_dataDir, "keys"));
        foreach (var key in Directory.GetFiles(Path.Combine(Fixtures, "herald-previous-release.keys")))
        {
            File.Copy(key, Path.Combine(keys.FullName, Path.GetFileName(key)));
        }
        var baseUrl = new Uri($"http://127.0.0.1:{HeraldProcess.FreePort()}");
        var herald = HeraldProcess.Start(["serve", "--urls", baseUrl.ToString(), "--data-dir", _dataDir, "--allow-insecure-loopback"],
            new Dictionary<string, string>
            {
                ["HERALD_API_KEY"] = ApiKey,
                ["Herald__Connector__Kaleyra__AdditionalHosts__0"] = "127.0.0.1",
                ["Herald__Connector__Kaleyra__AdditionalCallbackHosts__0"] = "127.0.0.1",
                // The previous release's connector took anonymous requests; this upgrade posts as it did.
                ["Herald__Connector__Kaleyra__AllowAnonymous"] = "true",
                // The fixture's messages only get older: retention would blank and then remove what this test compares.
                ["Herald__Retention__Content"] = "",
                ["Herald__Retention__Messages"] = "",
            });
        _running.Add(new Stopping(herald));
        await herald.WaitForOutputAsync("Herald is running");
        _api = TestHttp.Create(baseUrl, ApiKey);
        return (new Upgraded(herald, baseUrl), _api);
    }

    private static async Task<SimulatorHost> StartSimulatorAsync() => await SimulatorHost.StartAsync(new SimulatorOptions
    {
        Urls = $"http://127.0.0.1:{SimulatorPort}",
        ApiKey = KaleyraApiKey,
        Sid = Sid,
        DlrDelay = TimeSpan.FromMilliseconds(50),
        DeliveryRate = 1.0,
        Seed = 9,
    });

    private static HttpRequestMessage ConnectRequest(string externalId, string callbackUrl)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/connect/kaleyra")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["to"] = "+919812345611",
                ["sender"] = "KLRHXA",
                ["body"] = $"Your order {externalId} is on its way",
                ["message_id"] = externalId,
                ["template_id"] = "1107160000000012345",
                ["campaign_id"] = "cmp-fixture",
                ["type"] = "TXN",
            }),
        };
        request.Headers.TryAddWithoutValidation("api-key", KaleyraApiKey);
        request.Headers.TryAddWithoutValidation("sid", Sid);
        request.Headers.TryAddWithoutValidation("kaleyra-host", $"127.0.0.1:{SimulatorPort}");
        request.Headers.TryAddWithoutValidation("callback_url", callbackUrl);
        return request;
    }

    /// <summary>Kaleyra's status callback (a POST form, as the simulator and Kaleyra send it).</summary>
    private static FormUrlEncodedContent Form(OldConnectorMessage message, string status) => new(new Dictionary<string, string>
    {
        ["id"] = message.KaleyraId!,
        ["mobile"] = message.To.TrimStart('+'),
        ["status"] = status,
        ["status_details"] = status.ToUpperInvariant(),
        ["ref"] = message.ExternalId,
        ["ref1"] = "cmp-fixture",
    });

    private static async Task<JsonObject> WaitForStatusAsync(HttpClient api, string id, string status) =>
        await TestHttp.EventuallyAsync(async () =>
        {
            var message = await ReadAsync(await api.GetAsync($"/api/v1/messages/{id}", Ct));
            return message["status"]!.GetValue<string>() == status ? message : null;
        }, $"message {id} to become {status}", TimeSpan.FromSeconds(30));

    private static Task<JsonObject> ReadAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK) =>
        HeraldInstance.ReadObjectAsync(response, expected);

    private sealed record Upgraded(HeraldProcess Process, Uri BaseUrl)
    {
        public bool HasExited => Process.HasExited;
    }

    /// <summary>Stops herald as a service manager does, then makes sure it is gone.</summary>
    private sealed class Stopping(HeraldProcess herald) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (!herald.HasExited)
            {
                herald.Terminate();
                try
                {
                    await herald.WaitForExitAsync(TimeSpan.FromSeconds(20));
                }
                catch (TimeoutException)
                {
                    // killed below
                }
            }
            await herald.DisposeAsync();
        }
    }
}

/// <summary>One timeline entry as the old release stored it.</summary>
internal sealed record OldEvent(string Source, string Event, string? Note);

/// <summary>A message as the old release stored it.</summary>
internal sealed record OldMessage(string Id, string Status, string To, string Source, string? ProviderMessageId, IReadOnlyList<OldEvent> Timeline);

/// <summary>A row of the old release's <c>connector_messages</c>, with its message's number and Kaleyra id.</summary>
internal sealed record OldConnectorMessage(string MessageId, string ExternalId, string CallbackUrl, string CallbackToken, string Host, string To, string? KaleyraId);

/// <summary>A row of the old release's <c>connector_relays</c>.</summary>
internal sealed record OldRelay(long Id, string MessageId, string Event, string Meta, string Status, int Attempts);

/// <summary>A row of the old release's <c>connector_callbacks</c>.</summary>
internal sealed record OldCallback(string MessageId, string Body);

/// <summary>What the previous release stored in the fixture, read with plain SQL from a copy (the old schema, before any migration).</summary>
internal sealed record OldDatabase(
    IReadOnlyDictionary<string, OldMessage> Messages,
    IReadOnlyDictionary<string, OldConnectorMessage> Connector,
    IReadOnlyList<OldRelay> Relays,
    IReadOnlyList<OldCallback> Callbacks)
{
    public static OldDatabase Read()
    {
        var copy = Path.Combine(Directory.CreateTempSubdirectory("herald-old-db-").FullName, "herald.db");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "herald-previous-release.db"), copy);
        using var connection = new SqliteConnection($"Data Source={copy};Pooling=False");
        connection.Open();
        List<T> Query<T>(string sql, Func<SqliteDataReader, T> map)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            using var reader = command.ExecuteReader();
            var rows = new List<T>();
            while (reader.Read())
            {
                rows.Add(map(reader));
            }
            return rows;
        }
        static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

        var events = Query("SELECT message_id, source, event, note FROM message_events ORDER BY id",
            r => (MessageId: r.GetString(0), Event: new OldEvent(r.GetString(1), r.GetString(2), Text(r, 3)))).ToLookup(e => e.MessageId, e => e.Event);
        var messages = Query("SELECT id, status, to_number, source, provider_message_id FROM messages",
            r => new OldMessage(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Text(r, 4), [.. events[r.GetString(0)]]))
            .ToDictionary(m => m.Id);
        var connector = Query("""
            SELECT c.message_id, c.external_id, c.callback_url, c.callback_token, c.host, m.to_number, m.provider_message_id
            FROM connector_messages c JOIN messages m ON m.id = c.message_id
            """, r => new OldConnectorMessage(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), Text(r, 6)))
            .ToDictionary(c => c.MessageId);
        var relays = Query("SELECT id, message_id, event, payload, status, attempts FROM connector_relays ORDER BY id",
            r => new OldRelay(r.GetInt64(0), r.GetString(1), r.GetString(2), JsonNode.Parse(r.GetString(3))!["meta"]!.GetValue<string>(), r.GetString(4), r.GetInt32(5)));
        var callbacks = Query("SELECT message_id, body FROM connector_callbacks ORDER BY id", r => new OldCallback(r.GetString(0), r.GetString(1)));
        return new OldDatabase(messages, connector, relays, callbacks);
    }
}
