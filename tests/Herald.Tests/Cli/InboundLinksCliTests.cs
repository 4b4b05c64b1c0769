using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Cli;

/// <summary><c>herald inbound list</c> (<c>herald replies</c>), <c>herald contacts opt-out</c> and <c>herald links show|list</c> through the real executable.</summary>
public sealed class InboundLinksCliTests : CliTestBase
{
    private const string Person = "+4915155000001";
    private const string Other = "+4915155000002";

    [Fact]
    public async Task Inbound_ListByKeywordAndNumber_ShowsWhatPeopleSentAndWhatHeraldDid()
    {
        var inboundUrl = await ProviderInboundUrlAsync();
        await ContactAsync(Person);
        await PostInboundAsync(inboundUrl, Person, "STOP", "in-1");
        await PostInboundAsync(inboundUrl, Person, "Thanks, see you Friday", "in-2");
        await PostInboundAsync(inboundUrl, Other, "help", "in-3");

        var stops = await RunAsync("replies", "list", "--keyword", "stop", "--json");
        var all = await RunAsync("inbound", "list", "--from", Person);
        var plain = await RunAsync("inbound", "list", "--keyword", "reply", "--json");
        var paged = await RunAsync("inbound", "list", "--limit", "1", "--json");
        var next = await RunAsync("inbound", "list", "--limit", "1", "--cursor", paged.Json["next"]!.GetValue<string>(), "--json");
        var badKeyword = await RunAsync("inbound", "list", "--keyword", "stopp");
        var badCursor = await RunAsync("inbound", "list", "--cursor", "not-a-cursor");

        Assert.True(stops.ExitCode == 0, stops.ToString());
        var stop = Assert.Single(stops.Json["items"]!.AsArray())!;
        Assert.Equal((Person, "stop"), (stop["from"]!.GetValue<string>(), stop["keyword"]!.GetValue<string>()));
        Assert.Contains("suppressed for promotional messages", stop["note"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains("Thanks, see you Friday", all.Stdout, StringComparison.Ordinal);
        Assert.Contains("stop", all.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Other, all.Stdout, StringComparison.Ordinal);
        Assert.Equal("Thanks, see you Friday", Assert.Single(plain.Json["items"]!.AsArray())!["text"]!.GetValue<string>());
        Assert.Equal("help", Assert.Single(paged.Json["items"]!.AsArray())!["keyword"]!.GetValue<string>());
        Assert.Equal("Thanks, see you Friday", Assert.Single(next.Json["items"]!.AsArray())!["text"]!.GetValue<string>());
        Assert.True(badKeyword.ExitCode == 2, badKeyword.ToString());
        Assert.Contains("stopp", badKeyword.Stderr, StringComparison.Ordinal);
        Assert.True(badCursor.ExitCode == 1, badCursor.ToString());
        Assert.Contains("cursor", badCursor.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContactsOptOut_ByPhoneOrId_SuppressedWithReasonOptOut()
    {
        await ProviderInboundUrlAsync();
        var byId = await ContactAsync(Person);
        await ContactAsync(Other);

        var phone = await RunAsync("contacts", "opt-out", Other);
        var id = await RunAsync("contacts", "opt-out", byId, "--json");
        var unknown = await RunAsync("contacts", "opt-out", "ct_nobody");
        var unknownPhone = await RunAsync("contacts", "opt-out", "+4915155999999");

        Assert.True(phone.ExitCode == 0, phone.ToString());
        Assert.Contains($"Opted out {Other}", phone.Stdout, StringComparison.Ordinal);
        Assert.Contains("reason opt-out", phone.Stdout, StringComparison.Ordinal);
        Assert.True(id.ExitCode == 0, id.ToString());
        Assert.Equal((Person, "opt-out"), (id.Json["phone"]!.GetValue<string>(), id.Json["reason"]!.GetValue<string>()));
        foreach (var number in new[] { Person, Other })
        {
            var entry = Assert.Single((await GetAsync($"/api/v1/suppressions?phone={Uri.EscapeDataString(number)}"))["items"]!.AsArray())!;
            Assert.Equal("opt-out", entry["reason"]!.GetValue<string>());
        }
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("ct_nobody", unknown.Stderr, StringComparison.Ordinal);
        Assert.True(unknownPhone.ExitCode == 1, unknownPhone.ToString());
        Assert.Contains("No contact has the phone +4915155999999", unknownPhone.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Links_ShowAndListForAMessageAndACampaign_CountClicks()
    {
        await ProviderInboundUrlAsync();
        await ContactAsync(Person);
        var message = (await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsJsonAsync("/api/v1/messages",
            new { to = Person, body = "Your cart: https://shop.example/cart/42?utm=sms", type = "txn", provider = "Kaleyra_SMS", sender = "KLRHXA" }, Ct),
            HttpStatusCode.Accepted))["id"]!.GetValue<string>();
        var links = await RunAsync("links", "list", "--message", message, "--json");
        Assert.True(links.ExitCode == 0, links.ToString());
        var link = Assert.Single(links.Json["items"]!.AsArray())!;
        var shortUrl = link["shortUrl"]!.GetValue<string>();
        Assert.Equal(new Uri(Herald.BaseUrl, "/l/" + link["code"]!.GetValue<string>()).ToString(), shortUrl);

        using (var browser = TestHttp.CreateNoRedirect())
        {
            using var click = new HttpRequestMessage(HttpMethod.Get, shortUrl);
            click.Headers.UserAgent.ParseAdd("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1");
            using var answer = await browser.SendAsync(click, Ct);
            Assert.Equal(HttpStatusCode.Found, answer.StatusCode);
        }
        await TestHttp.EventuallyAsync(async () => (await GetAsync($"/api/v1/links/{link["code"]!.GetValue<string>()}"))["clicks"]!.GetValue<long>() == 1 ? true : (bool?)null,
            "the click to be counted");

        var show = await RunAsync("links", "show", shortUrl);
        var list = await RunAsync("links", "list", "--message", message);
        var campaign = await CampaignWithLinksAsync();
        var byCampaign = await RunAsync("links", "list", "--campaign", campaign, "--limit", "1", "--json");
        var neither = await RunAsync("links", "list");
        var both = await RunAsync("links", "list", "--message", message, "--campaign", campaign);
        var unknown = await RunAsync("links", "show", "Zz9Zz9Z");

        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("https://shop.example/cart/42?utm=sms", show.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"Clicks\s+1", show.Stdout);
        Assert.Contains(message, show.Stdout, StringComparison.Ordinal);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(link["code"]!.GetValue<string>(), list.Stdout, StringComparison.Ordinal);
        Assert.True(byCampaign.ExitCode == 0, byCampaign.ToString());
        var campaignLink = Assert.Single(byCampaign.Json["items"]!.AsArray())!;
        Assert.Equal((campaign, 0L), (campaignLink["campaignId"]!.GetValue<string>(), campaignLink["clicks"]!.GetValue<long>()));
        Assert.NotNull(byCampaign.Json["next"]);
        Assert.True(neither.ExitCode == 2 && both.ExitCode == 2, neither.ToString() + both);
        Assert.Contains("Give one of --message <id> or --campaign <id>", neither.Stderr, StringComparison.Ordinal);
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("No short link has the code 'Zz9Zz9Z'", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinksAndInboundApi_BadQueries_400ThatSayWhatToFix()
    {
        var neither = await Herald.Api.GetAsync("/api/v1/links", Ct);
        var both = await Herald.Api.GetAsync("/api/v1/links?message=m&campaign=c", Ct);
        var cursor = await Herald.Api.GetAsync("/api/v1/links?campaign=c&cursor=bm90LW91cnM", Ct);
        var limit = await Herald.Api.GetAsync("/api/v1/links?campaign=c&limit=0", Ct);
        var keyword = await Herald.Api.GetAsync("/api/v1/inbound?keyword=unsubscribe", Ct);
        var missing = await Herald.Api.GetAsync("/api/v1/links/Zz9Zz9Z", Ct);

        foreach (var (answer, text) in new[] { (neither, "Give one of message"), (both, "Give one of message"), (cursor, "cursor is not one"), (limit, "between 1 and 500"), (keyword, "stop, start, help, or reply") })
        {
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            Assert.Contains(text, await answer.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private async Task<string> ProviderInboundUrlAsync()
    {
        var response = await Herald.Api.PostAsJsonAsync("/api/v1/providers", SeedProvider(), Ct);
        return (await HeraldInstance.ReadObjectAsync(response, HttpStatusCode.Created))["inboundUrl"]!.GetValue<string>();
    }

    private async Task<string> ContactAsync(string phone) =>
        (await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsJsonAsync("/api/v1/contacts", new { phone, consent = new { promotional = true } }, Ct),
            HttpStatusCode.Created))["id"]!.GetValue<string>();

    /// <summary>A person's message as a generic provider forwards it (JSON with from, to, text, id).</summary>
    private async Task PostInboundAsync(string inboundUrl, string from, string text, string id)
    {
        using var answer = await Herald.Anonymous.PostAsJsonAsync(inboundUrl, new { from, to = "+4930901820", text, id }, Ct);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>A campaign to two contacts whose body holds a link; its id once its links are made.</summary>
    private async Task<string> CampaignWithLinksAsync()
    {
        await ContactAsync(Other);
        var id = (await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Links", allContacts = true, body = "Sale: https://shop.example/sale", type = "mkt", provider = "Kaleyra_SMS", sender = "KLRHXA",
        }, Ct), HttpStatusCode.Created))["id"]!.GetValue<string>();
        await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsync($"/api/v1/campaigns/{id}/launch", null, Ct), HttpStatusCode.OK);
        await TestHttp.EventuallyAsync(async () => (await GetAsync($"/api/v1/links?campaign={id}"))["items"]!.AsArray().Count == 2 ? true : (bool?)null,
            "the campaign's two links");
        return id;
    }

    private async Task<JsonObject> GetAsync(string path) => await HeraldInstance.ReadObjectAsync(await Herald.Api.GetAsync(path, Ct), HttpStatusCode.OK);
}
