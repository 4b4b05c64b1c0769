using System.Text.Json;
using Herald.Api.Providers;
using Herald.Hosting;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Sandbox;

/// <summary>
/// The <c>Sandbox</c> provider lives only as long as <c>--sandbox</c>: its simulator runs inside that process, on a port
/// chosen at start. A start without <c>--sandbox</c> removes the provider an earlier sandbox left behind (its messages keep
/// their history), so nothing is sent to a dead port and turned into dead letters. A provider that merely shares the name
/// (another endpoint) is left alone.
/// </summary>
internal static partial class SandboxCleanup
{
    public static async Task RemoveStaleAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (services.GetRequiredService<IOptions<HeraldOptions>>().Value.Sandbox.Enabled)
        {
            return;
        }
        var store = services.GetRequiredService<IProviderStore>();
        if (await store.FindAsync(SandboxService.Nickname, cancellationToken) is not { } provider || !IsSandboxMade(provider))
        {
            return;
        }
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SandboxCleanup));
        var removal = await services.GetRequiredService<ProviderService>().DeleteAsync(provider.Id, cancellationToken);
        if (removal.Removed)
        {
            LogRemoved(logger, provider.Id);
        }
        else if (removal.UsedByGroups.Count > 0)
        {
            LogKept(logger, string.Join(", ", removal.UsedByGroups));
        }
    }

    /// <summary>Whether the provider is the one <see cref="SandboxService"/> writes: generic, sending over plain http to a loopback simulator.</summary>
    internal static bool IsSandboxMade(ProviderRecord provider)
    {
        if (!string.Equals(provider.Kind, "generic", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        try
        {
            using var settings = JsonDocument.Parse(provider.Settings);
            return settings.RootElement.TryGetProperty("endpoint", out var endpoint)
                && Uri.TryCreate(endpoint.GetString(), UriKind.Absolute, out var url)
                && url.Scheme == Uri.UriSchemeHttp && url.IsLoopback
                && url.AbsolutePath == "/connector/sms";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed the Sandbox provider {ProviderId}: it sent to the simulator of an earlier 'herald serve --sandbox', which does not run now. Start with --sandbox to have it again.")]
    private static partial void LogRemoved(ILogger logger, string providerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Sandbox provider sends to the simulator of an earlier 'herald serve --sandbox', which does not run now, but provider groups list it ({Groups}): remove it from them, or start with --sandbox.")]
    private static partial void LogKept(ILogger logger, string groups);
}
