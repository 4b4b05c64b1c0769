using System.Text;
using Herald.Core.Messaging;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Dispatch.Links;

/// <summary>Short links (section <c>Herald:Links</c>).</summary>
public sealed class LinkOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Links";

    /// <summary>Whether Herald shortens links at all (<c>Herald:Links:Enabled</c>, default true; a provider or a send can still opt out).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Characters in a code (<c>Herald:Links:CodeLength</c>, 6 to 8, default 7: about 41.7 bits from the CSPRNG). With a 20-character
    /// public base URL, <c>{base}/l/</c> and 7 characters make 30, DLT's limit for one variable.
    /// </summary>
    public int CodeLength { get; set; } = 7;

    /// <summary>The base of short links when it is not <c>Herald:PublicBaseUrl</c> (<c>Herald:Links:BaseUrl</c>, e.g. a short domain routed to Herald).</summary>
    public Uri? BaseUrl { get; set; }
}

/// <summary>Where short links point: the host's public base URL (known once the server listens).</summary>
public interface IShortLinkBase
{
    /// <summary>The base URL, without a trailing slash; null when the host has none (links are then left long).</summary>
    Uri? BaseUrl { get; }
}

/// <summary>What shortening made of a message: its text and fields with short links, and the links to store.</summary>
/// <param name="Body">The text with every http(s) URL replaced by its short link.</param>
/// <param name="DynamicFields">The fields, with <c>LongURL</c> replaced by its short link.</param>
/// <param name="Links">The new links.</param>
public sealed record ShortenedMessage(string? Body, IReadOnlyDictionary<string, string> DynamicFields, IReadOnlyList<LinkRecord> Links);

/// <summary>
/// The one link-shortening step of the intake: a message's URLs (in its text, and <c>longUrl</c> / the <c>$$LongURL</c> field) become
/// <c>{PublicBaseUrl}/l/{code}</c>, one code per URL per message, so the stored text is the text sent and the DLT check counts the
/// short link.
/// </summary>
public interface ILinkShortener
{
    /// <summary>Whether links are shortened at all (enabled, and the host has a base URL).</summary>
    bool Enabled { get; }

    /// <summary>A code's short link as messages carry it: <c>{base}/l/{code}</c> (<c>/l/{code}</c> while the host has no base URL).</summary>
    string ShortUrl(string code);

    /// <summary>Replaces the URLs of one message by new short links (nothing is stored yet: see <see cref="SaveAsync"/>).</summary>
    ShortenedMessage Shorten(string messageId, string phone, string? body, IReadOnlyDictionary<string, string> dynamicFields, string? longUrl,
        string? campaignId, string? journeyId);

    /// <summary>
    /// Stores links before their messages are stored (a message never goes out with a link that leads nowhere). A code that
    /// another link holds already (rare: 62^7 codes) is replaced by a new one: the answer lists each message's replaced short URLs.
    /// </summary>
    Task<IReadOnlyList<ReplacedLink>> SaveAsync(IReadOnlyList<LinkRecord> links, CancellationToken cancellationToken);
}

internal sealed class LinkShortener(IShortLinkBase linkBase, ILinkStore store, IOptions<LinkOptions> options, TimeProvider time) : ILinkShortener
{
    /// <summary>The field generic providers put in <c>$$LongURL</c> (CleverTap's name), matched without case.</summary>
    public const string LongUrlField = "LongURL";

    private string? LinkBase => (options.Value.BaseUrl ?? linkBase.BaseUrl) is { } url ? url.ToString().TrimEnd('/') : null;

    private string? Base => options.Value.Enabled ? LinkBase : null;

    public bool Enabled => Base is not null;

    public string ShortUrl(string code) => $"{LinkBase}/l/{code}";

    public ShortenedMessage Shorten(string messageId, string phone, string? body, IReadOnlyDictionary<string, string> dynamicFields, string? longUrl,
        string? campaignId, string? journeyId)
    {
        if (Base is not { } baseUrl)
        {
            return new ShortenedMessage(body, dynamicFields, []);
        }
        var prefix = baseUrl + "/l/";
        var links = new List<LinkRecord>();
        var now = time.GetUtcNow();
        // The same URL twice in one message gets one link: a click is a click on that URL in that message.
        var byUrl = new Dictionary<string, string>(StringComparer.Ordinal);
        string Short(string url)
        {
            if (!byUrl.TryGetValue(url, out var shortUrl))
            {
                var code = LinkText.NewCode(options.Value.CodeLength);
                links.Add(new LinkRecord { Code = code, Url = url, MessageId = messageId, Phone = phone, CampaignId = campaignId, JourneyId = journeyId, CreatedAt = now });
                byUrl[url] = shortUrl = prefix + code;
            }
            return shortUrl;
        }

        var text = body;
        var found = LinkText.FindUrls(body);
        if (found.Count > 0)
        {
            var builder = new StringBuilder(body!.Length);
            var position = 0;
            foreach (var (start, length) in found)
            {
                var url = body.Substring(start, length);
                builder.Append(body, position, start - position);
                // Herald's own short links stay as they are; so does anything a browser could not be sent to.
                builder.Append(url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || !LinkText.IsRedirectable(url) ? url : Short(url));
                position = start + length;
            }
            builder.Append(body, position, body.Length - position);
            text = builder.ToString();
        }

        var fields = dynamicFields;
        var fieldKey = dynamicFields.Keys.FirstOrDefault(k => string.Equals(k, LongUrlField, StringComparison.OrdinalIgnoreCase));
        var target = string.IsNullOrWhiteSpace(longUrl) ? fieldKey is null ? null : dynamicFields[fieldKey] : longUrl.Trim();
        if (target is not null && LinkText.IsRedirectable(target) && !target.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            var copy = new Dictionary<string, string>(dynamicFields, StringComparer.OrdinalIgnoreCase);
            copy[fieldKey ?? LongUrlField] = Short(target);
            fields = copy;
        }
        return new ShortenedMessage(text, fields, links);
    }

    public async Task<IReadOnlyList<ReplacedLink>> SaveAsync(IReadOnlyList<LinkRecord> links, CancellationToken cancellationToken)
    {
        var replaced = new List<ReplacedLink>();
        var pending = links.ToList();
        for (var attempt = 1; !await store.InsertAsync(pending, cancellationToken); attempt++)
        {
            if (attempt == 5)
            {
                throw new InvalidOperationException("Short link codes kept colliding: raise Herald:Links:CodeLength.");
            }
            // Some code is taken: find which, give those links new codes, and try the whole set again.
            var taken = new HashSet<string>(StringComparer.Ordinal);
            foreach (var link in pending)
            {
                if (await store.FindAsync(link.Code, cancellationToken) is not null)
                {
                    taken.Add(link.Code);
                }
            }
            pending = [.. pending.Select(link =>
            {
                if (!taken.Contains(link.Code) && pending.Count(l => l.Code == link.Code) == 1)
                {
                    return link;
                }
                var fresh = link with { Code = LinkText.NewCode(options.Value.CodeLength) };
                replaced.Add(new ReplacedLink(link.MessageId, ShortUrl(link.Code), ShortUrl(fresh.Code)));
                return fresh;
            })];
        }
        return replaced;
    }
}

/// <summary>A short link that got a new code when it was stored (its first code was taken).</summary>
/// <param name="MessageId">The message it is in.</param>
/// <param name="Old">The short URL the message holds.</param>
/// <param name="New">The short URL to put in its place.</param>
public sealed record ReplacedLink(string MessageId, string Old, string New);

/// <summary>No base URL: links stay long (a host without a public URL, e.g. a library test).</summary>
internal sealed class NoShortLinkBase : IShortLinkBase
{
    public Uri? BaseUrl => null;
}
