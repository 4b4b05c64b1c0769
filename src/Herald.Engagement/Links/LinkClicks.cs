using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Herald.Core.Messaging;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Links;

/// <summary>How clicks are told from previews and written (section <c>Herald:Links</c>, next to the shortening settings).</summary>
public sealed class LinkClickOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Links";

    /// <summary>
    /// Parts of a User-Agent (compared without case) that mark a link-preview bot or crawler, whose requests are redirected but not
    /// counted. <c>Herald:Links:PreviewAgents</c> adds to <see cref="DefaultPreviewAgents"/>.
    /// </summary>
    public List<string> PreviewAgents { get; set; } = [];

    /// <summary>Clicks waiting to be written before new ones are dropped (counted in the log; <c>Herald:Links:ClickQueue</c>, default 100,000).</summary>
    public int ClickQueue { get; set; } = 100_000;

    /// <summary>The most clicks written in one transaction (<c>Herald:Links:ClickBatch</c>, default 1,000).</summary>
    public int ClickBatch { get; set; } = 1_000;

    /// <summary>Links kept in memory for the redirect (<c>Herald:Links:CacheSize</c>, default 100,000; links never change once made).</summary>
    public int CacheSize { get; set; } = 100_000;

    /// <summary>
    /// The preview bots and crawlers Herald knows (docs/links.md lists them): messengers and social sites that fetch a link to draw
    /// its preview, search and SEO crawlers, and the generic words crawlers put in their User-Agent.
    /// </summary>
    public static IReadOnlyList<string> DefaultPreviewAgents { get; } =
    [
        "facebookexternalhit", "facebot", "meta-externalagent", "twitterbot", "slackbot", "slack-imgproxy", "whatsapp", "telegrambot",
        "discordbot", "linkedinbot", "skypeuripreview", "microsoftpreview", "applebot", "googlebot", "google-pagerenderer",
        "googleother", "adsbot-google", "bingbot", "bingpreview", "yandexbot", "baiduspider", "duckduckbot", "redditbot", "pinterest",
        "vkshare", "embedly", "iframely", "outbrain", "quora link preview", "kakaotalk-scrap", "mastodon",
        "ia_archiver", "semrushbot", "ahrefsbot", "petalbot", "bot", "crawler", "spider", "preview", "headlesschrome", "curl/", "wget/",
        "python-requests", "go-http-client", "okhttp",
    ];
}

/// <summary>Where a short link leads, and the click it makes.</summary>
public interface ILinkClicks
{
    /// <summary>The link with this code, or null (codes that cannot be Herald's are not looked up).</summary>
    ValueTask<LinkRecord?> FindAsync(string code, CancellationToken cancellationToken);

    /// <summary>
    /// Counts a click on <paramref name="link"/> unless it is a HEAD request or a preview bot's (by <paramref name="userAgent"/>; no
    /// User-Agent counts as a bot). The click is queued and written in batches: the answer does not wait for the database.
    /// </summary>
    /// <returns>Whether it counted.</returns>
    bool Click(LinkRecord link, string method, string? userAgent);

    /// <summary>Whether this User-Agent is a link-preview bot or crawler (or absent).</summary>
    bool IsPreviewAgent(string? userAgent);
}

/// <summary>
/// The redirect's side: a link cache and a bounded queue of clicks that <see cref="Run"/> drains in batches. Each batch is one
/// transaction for the links' counts and the messages' timelines, then one for the contacts' <c>clicked</c> events. A crash loses
/// the clicks still queued (at most <see cref="LinkClickOptions.ClickQueue"/>, normally the last few milliseconds'); shutdown writes them.
/// </summary>
internal sealed partial class LinkClicks : BackgroundService, ILinkClicks
{
    private readonly ILinkStore _links;
    private readonly IContactStore _contacts;
    private readonly IEventStore _events;
    private readonly TimeProvider _time;
    private readonly ILogger<LinkClicks> _logger;
    private readonly LinkClickOptions _options;
    private readonly System.Buffers.SearchValues<string> _agents;
    private readonly Channel<LinkClick> _queue;
    private readonly ConcurrentDictionary<string, LinkRecord> _cache = new(StringComparer.Ordinal);
    private long _dropped;

    public LinkClicks(ILinkStore links, IContactStore contacts, IEventStore events, IOptions<LinkClickOptions> options, TimeProvider time, ILogger<LinkClicks> logger)
    {
        (_links, _contacts, _events, _time, _logger, _options) = (links, contacts, events, time, logger, options.Value);
        // One pass over the User-Agent for all the names (Aho-Corasick), not one scan per name: this runs on every redirect.
        _agents = System.Buffers.SearchValues.Create(
            [.. LinkClickOptions.DefaultPreviewAgents.Concat(_options.PreviewAgents.Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => a.Trim().ToLowerInvariant())).Distinct()],
            StringComparison.OrdinalIgnoreCase);
        _queue = Channel.CreateBounded<LinkClick>(new BoundedChannelOptions(_options.ClickQueue)
        {
            FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = false,
        }, _ => Interlocked.Increment(ref _dropped));
    }

    public async ValueTask<LinkRecord?> FindAsync(string code, CancellationToken cancellationToken)
    {
        if (!LinkText.IsCode(code))
        {
            return null;
        }
        if (_cache.TryGetValue(code, out var cached))
        {
            return cached;
        }
        var link = await _links.FindAsync(code, cancellationToken);
        if (link is not null)
        {
            if (_cache.Count >= _options.CacheSize)
            {
                _cache.Clear(); // crude but bounded: the busy links come back on their next click
            }
            _cache[code] = link;
        }
        return link;
    }

    public bool Click(LinkRecord link, string method, string? userAgent)
    {
        if (!string.Equals(method, "GET", StringComparison.OrdinalIgnoreCase) || IsPreviewAgent(userAgent))
        {
            return false;
        }
        return _queue.Writer.TryWrite(new LinkClick(link, _time.GetUtcNow(), userAgent is { Length: > 300 } ? userAgent[..300] : userAgent));
    }

    public bool IsPreviewAgent(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return true;
        }
        return userAgent.AsSpan().ContainsAny(_agents);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Run(stoppingToken);

    private async Task Run(CancellationToken stoppingToken)
    {
        var batch = new List<LinkClick>(_options.ClickBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < _options.ClickBatch && _queue.Reader.TryRead(out var click))
                {
                    batch.Add(click);
                }
                await WriteAsync(batch, stoppingToken);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: what is queued is written below.
        }
        while (_queue.Reader.TryRead(out var click))
        {
            batch.Add(click);
        }
        await WriteAsync(batch, CancellationToken.None);
    }

    private async Task WriteAsync(List<LinkClick> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }
        if (Interlocked.Exchange(ref _dropped, 0) is > 0 and var dropped)
        {
            LogDropped(dropped, _options.ClickQueue);
        }
        try
        {
            await _links.RecordClicksAsync(batch, cancellationToken);
            // The contact's clicked event (segments, journeys and conversions read it) goes through the event store.
            var contacts = new Dictionary<string, string?>(StringComparer.Ordinal);
            var writes = new List<EventWrite>(batch.Count);
            var now = _time.GetUtcNow();
            foreach (var click in batch)
            {
                var phone = click.Link.Phone;
                if (!contacts.TryGetValue(phone, out var contactId))
                {
                    contacts[phone] = contactId = (await _contacts.FindByPhoneAsync(phone, cancellationToken))?.Id;
                }
                writes.Add(new EventWrite(new EventRecord
                {
                    MessageId = "clk_" + Guid.CreateVersion7(click.At).ToString("N"),
                    ContactId = contactId,
                    Type = "track",
                    Name = "clicked",
                    Properties = ClickedProperties(click.Link),
                    At = click.At,
                    ReceivedAt = now,
                }, null));
            }
            await _events.IngestAsync(writes, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogWriteFailed(ex, batch.Count);
        }
    }

    /// <summary>The <c>clicked</c> event's properties: <c>{messageId, url, campaignId?, journeyId?}</c>.</summary>
    internal static string ClickedProperties(LinkRecord link)
    {
        var properties = new Dictionary<string, string> { ["messageId"] = link.MessageId, ["url"] = link.Url };
        if (link.CampaignId is { } campaign)
        {
            properties["campaignId"] = campaign;
        }
        if (link.JourneyId is { } journey)
        {
            properties["journeyId"] = journey;
        }
        return JsonSerializer.Serialize(properties);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} link clicks were not counted: more than {Capacity} were waiting to be written (Herald:Links:ClickQueue)")]
    private partial void LogDropped(long count, int capacity);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Count} link clicks could not be written")]
    private partial void LogWriteFailed(Exception exception, int count);
}
