using Herald.Dispatch.Outbox;
using Herald.Storage;

namespace Herald.Engagement.Journeys;

/// <summary>Journey webhooks in the outbox: one POST per entry carrying its JSON payload, retried with backoff for up to a day.</summary>
internal sealed class JourneyWebhookTopic : IOutboxTopic
{
    public string Name => JourneyRunner.WebhookTopic;

    public OutboxPolicy Policy { get; } = new(TimeSpan.FromSeconds(10), 12, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1), 1, TimeSpan.FromSeconds(1));

    public string EventPrefix => "webhook";

    public string Body(IReadOnlyList<OutboxRecord> entries) => entries[0].Payload;

    public IReadOnlyList<string> Delivered(IReadOnlyList<OutboxRecord> entries, string host, string answer, string responseBody) =>
        [.. entries.Select(e => $"journey webhook posted to {host} ({answer}, attempt {e.Attempts + 1})")];

    public string? Refusal(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
            ? null
            : $"journey webhooks go to https URLs only, not {url}";
}
