using System.Net;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security;

/// <summary>Issue 14, "Revoking the environment key breaks the next start".</summary>
public sealed class ApiKeyBootstrapTests
{
    [Fact]
    public async Task Start_ConfiguredKeyRevokedAnyway_StartsAndKeyWorksAgain()
    {
        var herald = await HeraldInstance.StartAsync();
        try
        {
            // As an older dashboard did: revoke HERALD_API_KEY's row directly.
            var keys = herald.Services.GetRequiredService<IApiKeyStore>();
            var configured = (await keys.ListAsync(TestContext.Current.CancellationToken)).Single(k => k.Prefix == HeraldInstance.ApiKey[..8]);
            Assert.True(await keys.RevokeAsync(configured.Id, DateTimeOffset.UnixEpoch.AddYears(60), TestContext.Current.CancellationToken));
            Assert.Equal(HttpStatusCode.Unauthorized, (await herald.Api.GetAsync("/api/v1/providers", TestContext.Current.CancellationToken)).StatusCode);

            herald = await herald.RestartAsync();

            Assert.Equal(HttpStatusCode.OK, (await herald.Api.GetAsync("/api/v1/providers", TestContext.Current.CancellationToken)).StatusCode);
            var rows = (await herald.Services.GetRequiredService<IApiKeyStore>().ListAsync(TestContext.Current.CancellationToken))
                .Where(k => k.Prefix == HeraldInstance.ApiKey[..8]).ToList();
            Assert.Single(rows);
            Assert.Null(rows[0].RevokedAt);
        }
        finally
        {
            await herald.DisposeAsync();
        }
    }
}
