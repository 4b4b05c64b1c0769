using System.Net;
using System.Net.Http.Json;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Cli;

/// <summary><c>herald messages dead-letters</c> and <c>herald messages retry</c> through the real executable.</summary>
public sealed class DeadLetterCliTests : CliTestBase
{
    [Fact]
    public async Task DeadLettersThenRetry_FailedMessage_IsListedWithItsReason_ThenSentAgain_AndASecondRetryIsRefused()
    {
        var healthy = 0;
        await using var stub = await StubProvider.StartAsync(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            if (Volatile.Read(ref healthy) == 0)
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsJsonAsync(new { error = new { message = "sender not registered" } });
                return;
            }
            await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
        });
        await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub", kind = "generic",
            settings = new
            {
                endpoint = stub.Url.ToString(),
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }, Ct), HttpStatusCode.Created);
        var id = (await HeraldInstance.ReadObjectAsync(await Herald.Api.PostAsJsonAsync("/api/v1/messages", new { to = "+919812345671", body = "hello" }, Ct),
            HttpStatusCode.Accepted))["id"]!.GetValue<string>();
        await Herald.WaitForStatusAsync(id, "failed");

        var list = await RunAsync("messages", "dead-letters", "--provider", "Stub");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(id, list.Stdout);
        Assert.Contains("sender not registered", list.Stdout);
        Assert.Contains("failed", list.Stdout);

        Volatile.Write(ref healthy, 1);
        var retry = await RunAsync("messages", "retry", id);
        Assert.True(retry.ExitCode == 0, retry.ToString());
        Assert.Contains($"Requeued {id}", retry.Stdout);
        await Herald.WaitForStatusAsync(id, "accepted");

        var again = await RunAsync("messages", "retry", id);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("only failed or expired messages can be retried", again.Stderr);
        var empty = await RunAsync("messages", "dead-letters", "--json");
        Assert.Empty(empty.Json["items"]!.AsArray());
    }
}
