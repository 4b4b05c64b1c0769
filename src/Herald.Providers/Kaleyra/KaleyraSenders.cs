using Herald.Core.Providers;

namespace Herald.Providers.Kaleyra;

/// <summary>Kaleyra senders for settings that are not stored (the connector's, from its caller's headers).</summary>
public static class KaleyraSenders
{
    /// <summary>A sender with its own callback URL.</summary>
    public static ISmsSender Create(KaleyraSettings settings, Uri callbackUrl, IHttpClientFactory httpClientFactory, TimeProvider time) =>
        new KaleyraSender(settings, callbackUrl, httpClientFactory, time);
}
