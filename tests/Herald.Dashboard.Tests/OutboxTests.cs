using Herald.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Dashboard.Tests;

/// <summary>The Webhooks page: what Herald posts to other systems, with a Retry button for dead ones.</summary>
public sealed class OutboxTests(BrowserFixture browser, DashboardServer server) : DashboardTest(browser, server), IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Webhooks_DeadRelay_ListedFromTheNav_AndRetryQueuesItAgain()
    {
        // A relay to a callback host the connector does not allow: the outbox gives it up at its first attempt.
        var key = Unique("relay");
        await Server.Services.GetRequiredService<IOutboxStore>().EnqueueAsync([new OutboxItem
        {
            Key = key, Topic = "clevertap", Url = "https://hooks.not-clevertap.example/dlr",
            Payload = """{"event":"delivered","data":{"ts":1749207321,"meta":"ct-1"}}""", NextAttemptAt = DateTimeOffset.UnixEpoch,
        }], CancellationToken.None);
        Server.Services.GetRequiredService<Herald.Dispatch.Outbox.IOutboxSignal>().Notify();
        await SignInAsync();

        await Page.GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await Page.GetByLabel("Status").SelectOptionAsync("dead");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();

        var row = Page.Locator("table.outbox tbody tr").Filter(new() { HasText = "hooks.not-clevertap.example" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("dead");
        await Expect(row).ToContainTextAsync("clevertap");

        await row.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();

        await Expect(Page.GetByRole(AriaRole.Status)).ToContainTextAsync("is queued again");
    }
}
