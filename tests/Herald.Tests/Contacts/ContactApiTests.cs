using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Contacts;

/// <summary>Contacts, suppressions and CSV imports through the real HTTP API, on each database.</summary>
public abstract class ContactApiTests(TestDatabase database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<HeraldInstance> StartAsync(IReadOnlyDictionary<string, string?>? extra = null) => HeraldInstance.StartAsync(database, extra: extra);

    private static async Task<JsonObject> PostAsync(HeraldInstance herald, string path, object body, HttpStatusCode expected) =>
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync(path, body, Ct), expected);

    private static async Task<JsonObject> GetAsync(HeraldInstance herald, string path, HttpStatusCode expected = HttpStatusCode.OK) =>
        await HeraldInstance.ReadObjectAsync(await herald.Api.GetAsync(path, Ct), expected);

    [Fact]
    public async Task PostContacts_NewThenSamePhone_CreatesThenMergesAndKeepsConsentSourceAndTime()
    {
        await using var herald = await StartAsync();

        var created = await PostAsync(herald, "/api/v1/contacts", new
        {
            phone = "+91 98123 45678", attributes = new { first_name = "Asha", city = "Pune", orders = 3, vip = true, since = "2024-05-01" },
            consent = new { promotional = new { granted = true, source = "web-form", at = "2025-01-31T10:00:00Z" }, transactional = true },
        }, HttpStatusCode.Created);
        var id = created["id"]!.GetValue<string>();
        var updated = await PostAsync(herald, "/api/v1/contacts", new
        {
            phone = "+919812345678", externalId = "user-42", attributes = new { city = "Mumbai", vip = (bool?)null }, locale = "en-IN",
        }, HttpStatusCode.OK);

        Assert.Equal(id, updated["id"]!.GetValue<string>());
        var contact = await GetAsync(herald, $"/api/v1/contacts/{id}");
        Assert.Equal("+919812345678", contact["phone"]!.GetValue<string>());
        Assert.Equal("user-42", contact["externalId"]!.GetValue<string>());
        Assert.Equal("IN", contact["country"]!.GetValue<string>());
        Assert.Equal("Asia/Calcutta", contact["timezone"]!.GetValue<string>()); // the first zone libphonenumber gives for +91
        Assert.Equal("en-IN", contact["locale"]!.GetValue<string>());
        var attributes = contact["attributes"]!.AsObject();
        Assert.Equal("Mumbai", attributes["city"]!.GetValue<string>());
        Assert.Equal("Asha", attributes["first_name"]!.GetValue<string>());
        Assert.Equal(3, attributes["orders"]!.GetValue<int>());
        Assert.False(attributes.ContainsKey("vip"));
        var promotional = contact["consent"]!["promotional"]!;
        Assert.True(promotional["granted"]!.GetValue<bool>());
        Assert.Equal("web-form", promotional["source"]!.GetValue<string>());
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 10, 0, 0, TimeSpan.Zero), promotional["at"]!.GetValue<DateTimeOffset>());
        Assert.Equal("api", contact["consent"]!["transactional"]!["source"]!.GetValue<string>());

        var byExternalId = await GetAsync(herald, "/api/v1/contacts?externalId=user-42");
        Assert.Equal(id, Assert.Single(byExternalId["items"]!.AsArray())!["id"]!.GetValue<string>());
        var byText = await GetAsync(herald, "/api/v1/contacts?q=mumbai");
        Assert.Equal(id, Assert.Single(byText["items"]!.AsArray())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostContacts_BadFields_AnswersProblemNamingEachField()
    {
        await using var herald = await StartAsync();

        var problem = await PostAsync(herald, "/api/v1/contacts", new
        {
            phone = "98123 45678", timezone = "India Standard Time", attributes = new { address = new { city = "Pune" } },
            consent = new { marketing = true, promotional = "yes" },
        }, HttpStatusCode.BadRequest);

        var errors = problem["errors"]!.AsObject();
        Assert.Contains("country code", errors["phone"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("IANA", errors["timezone"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("an object", errors["attributes.address"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("not a consent category", errors["consent.marketing"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(errors.ContainsKey("consent.promotional"));
        var empty = await PostAsync(herald, "/api/v1/contacts", new { attributes = new { a = 1 } }, HttpStatusCode.BadRequest);
        Assert.Contains("phone", empty["errors"]!["phone"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostContacts_NationalNumberWithDefaultCountry_StoresE164()
    {
        await using var herald = await StartAsync(new Dictionary<string, string?> { ["Herald:DefaultCountry"] = "+91" });

        var created = await PostAsync(herald, "/api/v1/contacts", new { phone = "098123 45678" }, HttpStatusCode.Created);

        Assert.Equal("+919812345678", created["phone"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostContacts_PhoneAndExternalIdOfTwoContacts_Answers409NamingBoth()
    {
        await using var herald = await StartAsync();
        var a = await PostAsync(herald, "/api/v1/contacts", new { phone = "+14155550101" }, HttpStatusCode.Created);
        var b = await PostAsync(herald, "/api/v1/contacts", new { externalId = "crm-7" }, HttpStatusCode.Created);

        var conflict = await PostAsync(herald, "/api/v1/contacts", new { phone = "+14155550101", externalId = "crm-7" }, HttpStatusCode.Conflict);

        Assert.Contains(a["id"]!.GetValue<string>(), conflict["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(b["id"]!.GetValue<string>(), conflict["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteContact_WithMessagesToTheNumber_ErasesPersonalDataAndKeepsSuppression()
    {
        await using var herald = await StartAsync();
        var contact = await PostAsync(herald, "/api/v1/contacts", new { phone = "+14155550123", externalId = "u-9", attributes = new { name = "Bo" } }, HttpStatusCode.Created);
        var id = contact["id"]!.GetValue<string>();
        await PostAsync(herald, $"/api/v1/contacts/{id}/opt-out", new { }, HttpStatusCode.OK);
        var messages = herald.Services.GetRequiredService<Herald.Storage.IMessageStore>();
        var now = TimeProvider.System.GetUtcNow();
        var message = new Herald.Storage.Records.MessageRecord
        {
            Id = Guid.CreateVersion7().ToString("N"), To = "+14155550123", Body = "Hi Bo", Type = "txn", Source = "api",
            Status = Herald.Core.Messaging.DeliveryState.Delivered, CreatedAt = now, UpdatedAt = now,
        };
        await messages.InsertAsync(message, new Herald.Storage.Records.MessageEventRecord
        {
            MessageId = message.Id, At = now, Source = "api", Event = "queued", State = Herald.Core.Messaging.DeliveryState.Queued, Applied = true,
        }, Ct);

        var deleted = await herald.Api.DeleteAsync($"/api/v1/contacts/{id}", Ct);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var erased = await GetAsync(herald, $"/api/v1/contacts/{id}");
        Assert.Null(erased["phone"]);
        Assert.Null(erased["externalId"]);
        Assert.Empty(erased["attributes"]!.AsObject());
        Assert.NotNull(erased["erasedAt"]);
        var stored = await GetAsync(herald, $"/api/v1/messages/{message.Id}");
        Assert.Null(stored["body"]);
        var suppression = await GetAsync(herald, "/api/v1/suppressions?phone=%2B14155550123");
        Assert.Equal("opt-out", Assert.Single(suppression["items"]!.AsArray())!["reason"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await herald.Api.DeleteAsync($"/api/v1/contacts/{id}", Ct)).StatusCode);
        Assert.Empty((await GetAsync(herald, "/api/v1/contacts?externalId=u-9"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Suppressions_AddListDelete_WorkForNumbersThatAreNotContacts()
    {
        await using var herald = await StartAsync();

        var added = await PostAsync(herald, "/api/v1/suppressions", new { phone = "+919800000001", reason = "complaint" }, HttpStatusCode.OK);
        var second = await PostAsync(herald, "/api/v1/suppressions", new { phone = "+919800000002", reason = "manual", categories = new[] { "promotional", "service" } }, HttpStatusCode.OK);
        var bad = await PostAsync(herald, "/api/v1/suppressions", new { phone = "+919800000003", reason = "spam", categories = new[] { "marketing" } }, HttpStatusCode.BadRequest);

        Assert.Equal(["*"], added["categories"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(["promotional", "service"], second["categories"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.True(bad["errors"]!.AsObject().ContainsKey("reason"));
        Assert.True(bad["errors"]!.AsObject().ContainsKey("categories"));
        var page = await GetAsync(herald, "/api/v1/suppressions?limit=1");
        Assert.Equal("+919800000002", Assert.Single(page["items"]!.AsArray())!["phone"]!.GetValue<string>());
        var next = await GetAsync(herald, $"/api/v1/suppressions?limit=1&cursor={page["next"]!.GetValue<string>()}");
        Assert.Equal("+919800000001", Assert.Single(next["items"]!.AsArray())!["phone"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await herald.Api.DeleteAsync("/api/v1/suppressions/+919800000001", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await herald.Api.DeleteAsync("/api/v1/suppressions/%2B919800000001", Ct)).StatusCode);
    }

    private static async Task<JsonObject> WaitForImportAsync(HeraldInstance herald, string id) =>
        await TestHttp.EventuallyAsync(async () =>
        {
            var import = await GetAsync(herald, $"/api/v1/imports/{id}");
            return import["status"]!.GetValue<string>() == "running" ? null : import;
        }, $"import {id} to end", TimeSpan.FromSeconds(60));

    [Fact]
    public async Task ImportCsv_GoodAndBadRows_ImportsTheGoodOnesAndReportsTheBadWithRowNumbers()
    {
        await using var herald = await StartAsync();
        await PostAsync(herald, "/api/v1/contacts", new { phone = "+919812340002", attributes = new { city = "Delhi", tier = "gold" } }, HttpStatusCode.Created);
        var csv = """
            phone,first_name,city,zip,timezone,consent.promotional
            +919812340001,Asha,Pune,01234,,yes
            +919812340002,Ravi,,,,no
            not-a-number,Bad,Row,,,yes
            +919812340003,Meera,Chennai,,Mars/Olympus,yes
            +919812340004,"Sam ""the"" Man",Goa,,Asia/Kolkata,maybe
            +919812340005,Lee,Kochi,,Asia/Kolkata,1
            """;

        var response = await herald.Api.PostAsync("/api/v1/contacts/import", new StringContent(csv, Encoding.UTF8, "text/csv"), Ct);
        var started = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.Accepted);
        var id = started["id"]!.GetValue<string>();
        Assert.Equal($"/api/v1/imports/{id}", response.Headers.Location!.OriginalString);
        var import = await WaitForImportAsync(herald, id);

        Assert.Equal("completed", import["status"]!.GetValue<string>());
        Assert.Equal(6, import["rows"]!.GetValue<long>());
        Assert.Equal(2, import["imported"]!.GetValue<long>());
        Assert.Equal(1, import["updated"]!.GetValue<long>());
        Assert.Equal(3, import["failed"]!.GetValue<long>());
        var errors = import["errors"]!.AsArray();
        Assert.Equal([4L, 5L, 6L], errors.Select(e => e!["row"]!.GetValue<long>()));
        Assert.Contains("not-a-number", errors[0]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Mars/Olympus", errors[1]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("maybe", errors[2]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        var asha = Assert.Single((await GetAsync(herald, "/api/v1/contacts?phone=%2B919812340001"))["items"]!.AsArray())!;
        Assert.Equal("01234", asha["attributes"]!["zip"]!.GetValue<string>()); // a leading zero stays text
        Assert.True(asha["consent"]!["promotional"]!["granted"]!.GetValue<bool>());
        var ravi = Assert.Single((await GetAsync(herald, "/api/v1/contacts?phone=%2B919812340002"))["items"]!.AsArray())!;
        Assert.Equal("Delhi", ravi["attributes"]!["city"]!.GetValue<string>()); // an empty cell changes nothing
        Assert.Equal("Ravi", ravi["attributes"]!["first_name"]!.GetValue<string>());
        Assert.Equal("import", ravi["consent"]!["promotional"]!["source"]!.GetValue<string>());
        var errorCsv = await herald.Api.GetStringAsync($"/api/v1/imports/{id}/errors.csv", Ct);
        var lines = errorCsv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("row,error,phone,first_name,city,zip,timezone,consent.promotional", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("4,", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"Sam \"\"the\"\" Man\"", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportMultipart_WithMapping_MapsColumnsAndRefusesAMappingWithoutPhone()
    {
        await using var herald = await StartAsync();
        const string csv = "Mobile;Name;Opt-in;Notes\n+14155550111;Ann;yes;skip me\n+14155550112;Ben;no;x\n";

        using var form = new MultipartFormDataContent
        {
            { new StringContent("""{"Mobile": "phone", "Name": "attributes.first_name", "Opt-in": "consent.promotional", "Notes": "ignore"}"""), "mapping" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } }, "file", "contacts.csv" },
        };
        var started = await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsync("/api/v1/contacts/import", form, Ct), HttpStatusCode.Accepted);
        var import = await WaitForImportAsync(herald, started["id"]!.GetValue<string>());

        Assert.Equal(2, import["imported"]!.GetValue<long>());
        var ann = Assert.Single((await GetAsync(herald, "/api/v1/contacts?phone=%2B14155550111"))["items"]!.AsArray())!;
        Assert.Equal("""{"first_name":"Ann"}""", ann["attributes"]!.ToJsonString());
        Assert.True(ann["consent"]!["promotional"]!["granted"]!.GetValue<bool>());
        var noPhone = await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsync("/api/v1/contacts/import?mapping=" + Uri.EscapeDataString("""{"Mobile": "attributes.mobile"}"""),
            new StringContent(csv, Encoding.UTF8, "text/csv"), Ct), HttpStatusCode.BadRequest);
        Assert.Contains("phone", noPhone["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var unknownColumn = await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsync("/api/v1/contacts/import?mapping=" + Uri.EscapeDataString("""{"Cell": "phone"}"""),
            new StringContent(csv, Encoding.UTF8, "text/csv"), Ct), HttpStatusCode.BadRequest);
        Assert.Contains("'Cell'", unknownColumn["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(herald.DataDir, "imports")));
    }

    [Fact]
    public async Task ImportCsv_OverTheLimit_Answers413AndKeepsNoFile()
    {
        await using var herald = await StartAsync(new Dictionary<string, string?> { ["Herald:Imports:MaxBytes"] = "2048" });
        var csv = "phone,note\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"+1415555{i:D4},some text\n"));

        var response = await herald.Api.PostAsync("/api/v1/contacts/import", new StringContent(csv, Encoding.UTF8, "text/csv"), Ct);

        var problem = await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("Herald:Imports:MaxBytes", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(herald.DataDir, "imports")));
    }

    [Fact]
    public async Task Import_RunningWhenHeraldStopped_IsMarkedFailedWithTheReasonAfterRestart()
    {
        await using var first = await StartAsync(new Dictionary<string, string?> { ["Herald:Imports:StaleAfter"] = "00:00:10" });
        var imports = first.Services.GetRequiredService<Herald.Storage.IImportStore>();
        var then = TimeProvider.System.GetUtcNow().AddMinutes(-5);
        await imports.InsertAsync(new Herald.Storage.Records.ImportRecord { Id = "imp_orphaned", Status = "running", Rows = 4000, CreatedAt = then, UpdatedAt = then }, Ct);
        await using var second = await first.RestartAsync();

        var import = await WaitForImportAsync(second, "imp_orphaned");

        Assert.Equal("failed", import["status"]!.GetValue<string>());
        Assert.Equal(0, import["errors"]![0]!["row"]!.GetValue<long>());
        Assert.Contains("post the file again", import["errors"]![0]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

public sealed class SqliteContactApiTests() : ContactApiTests(TestDatabase.Sqlite);

public sealed class PostgresContactApiTests() : ContactApiTests(TestDatabase.Postgres);
