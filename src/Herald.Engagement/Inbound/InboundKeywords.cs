namespace Herald.Engagement.Inbound;

/// <summary>What an inbound message asks for when its whole text is a keyword.</summary>
public enum InboundKeyword
{
    /// <summary>Not a keyword: a reply.</summary>
    None,
    /// <summary>Opt out of promotional messages.</summary>
    Stop,
    /// <summary>Opt back in.</summary>
    Start,
    /// <summary>Ask for help.</summary>
    Help,
}

/// <summary>Reads keywords: the whole message, without case and spaces (so <c>opt out</c>, <c>OptOut</c> and <c>STOP </c> all match).</summary>
public sealed class InboundKeywords
{
    private readonly Dictionary<string, InboundKeyword> _words = new(StringComparer.Ordinal);

    /// <summary>The standard keywords and the configured ones.</summary>
    public InboundKeywords(InboundOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Add(InboundOptions.StandardStop.Concat(options.StopKeywords), InboundKeyword.Stop);
        Add(InboundOptions.StandardStart.Concat(options.StartKeywords), InboundKeyword.Start);
        Add(InboundOptions.StandardHelp.Concat(options.HelpKeywords), InboundKeyword.Help);
    }

    private void Add(IEnumerable<string> words, InboundKeyword keyword)
    {
        foreach (var word in words)
        {
            _words.TryAdd(Normalise(word), keyword);
        }
    }

    /// <summary>The keyword <paramref name="text"/> is, or <see cref="InboundKeyword.None"/>.</summary>
    public InboundKeyword Read(string? text) =>
        text is { Length: > 0 and <= 100 } && _words.TryGetValue(Normalise(text), out var keyword) ? keyword : InboundKeyword.None;

    /// <summary>
    /// Upper case without white space, and without the punctuation people end a word with (<c>Stop.</c>, <c>STOP!</c>); letters are
    /// folded without their accents' case rules (invariant culture) so ARRÊT and arrêt match.
    /// </summary>
    public static string Normalise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Span<char> buffer = stackalloc char[Math.Min(text.Length, 100)];
        var length = 0;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || c is '.' or '!' or '"' or '\'' or '\u200B' or '\uFEFF')
            {
                continue;
            }
            if (length == buffer.Length)
            {
                break;
            }
            buffer[length++] = char.ToUpperInvariant(c);
        }
        return new string(buffer[..length]);
    }
}
