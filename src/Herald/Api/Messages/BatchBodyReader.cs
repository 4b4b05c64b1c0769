using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text.Json;

namespace Herald.Api.Messages;

/// <summary>What <see cref="BatchBodyReader.Scan"/> found: how many messages (null when <c>messages</c> is missing or null), whether more than the limit, and the request's hash.</summary>
internal readonly record struct BatchScan(int? Count, bool TooMany, string? Hash);

/// <summary>
/// The body of <c>POST /api/v1/messages/batch</c> (<c>{"messages": [...]}</c>), held as bytes (in pooled 64 KiB pieces, never a
/// large object) and read one message at a time, so a batch never becomes a list of all its messages. <see cref="Scan"/> reads it
/// once as model binding would (malformed JSON or a wrongly typed field is a 400 naming the item) and stops as soon as message
/// <c>max + 1</c> starts; <see cref="Read"/> then hands out the messages in chunks. Nothing is stored before the scan has passed,
/// so a broken or oversized batch stores nothing, as before.
/// </summary>
internal sealed class BatchBodyReader : IDisposable
{
    private const string MessagesProperty = "messages";
    private const int PieceSize = 64 * 1024;

    private readonly List<byte[]> _pieces = [];
    private readonly JsonSerializerOptions _options;
    private readonly JsonReaderOptions _readerOptions;
    private ReadOnlySequence<byte> _body;
    private JsonReaderState _state;
    private long _position;
    private Stage _stage;
    private int _items;
    private int _max = int.MaxValue;
    private bool _single;

    private BatchBodyReader(JsonSerializerOptions options)
    {
        _options = options;
        _readerOptions = new JsonReaderOptions
        {
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.ReadCommentHandling,
            MaxDepth = options.MaxDepth,
        };
    }

    private enum Stage
    {
        Start,
        Properties,
        MessagesValue,
        SkipValue,
        Items,
        End,
        Done,
    }

    /// <summary>
    /// Copies the whole body (at most the endpoint's size limit: Kestrel answers 413 beyond it) out of the request's pipe, which
    /// cannot hold more than its own buffer unread.
    /// </summary>
    public static async Task<BatchBodyReader> BufferAsync(PipeReader body, JsonSerializerOptions options, CancellationToken ct)
    {
        var reader = new BatchBodyReader(options);
        try
        {
            var length = 0L;
            while (true)
            {
                var read = await body.ReadAsync(ct);
                foreach (var segment in read.Buffer)
                {
                    var source = segment.Span;
                    while (!source.IsEmpty)
                    {
                        var offset = (int)(length % PieceSize);
                        if (offset == 0)
                        {
                            reader._pieces.Add(ArrayPool<byte>.Shared.Rent(PieceSize));
                        }
                        var n = Math.Min(source.Length, PieceSize - offset);
                        source[..n].CopyTo(reader._pieces[^1].AsSpan(offset));
                        source = source[n..];
                        length += n;
                    }
                }
                body.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }
            reader._body = Sequence(reader._pieces, length);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads every message as model binding would and counts them, stopping at message <paramref name="max"/> + 1; with
    /// <paramref name="hash"/>, the SHA-256 of the request as <see cref="JsonSerializer"/> writes it (the same bytes as serialising
    /// the whole <see cref="SendBatchRequest"/>, so an Idempotency-Key stored before keeps matching). Malformed JSON is a
    /// <see cref="BadHttpRequestException"/> (400, the <see cref="JsonException"/> inside). Then <see cref="Read"/> starts at the
    /// first message (of the last <c>messages</c> array, as model binding keeps the last value of a repeated property).
    /// </summary>
    public BatchScan Scan(int max, bool hash)
    {
        using var sha = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        int? count = null;
        (JsonReaderState State, long Position)? messages = null;
        _max = max;
        while (Next(out var item) is var kind && kind != Kind.End)
        {
            switch (kind)
            {
                case Kind.TooMany:
                    return new BatchScan(null, true, null);
                case Kind.ArrayStart:
                    messages = (_state, _position);
                    count = 0;
                    break;
                case Kind.Null:
                    messages = null;
                    count = null;
                    break;
                case Kind.Item:
                    count++;
                    break;
            }
        }
        string? digest = null;
        if (sha is not null)
        {
            // Only the last messages value counts: hash it alone (a repeated property is rare enough to read twice).
            sha.AppendData(count is null ? "{}"u8 : "{\"messages\":["u8);
            if (messages is { } start)
            {
                Seek(start);
                var first = true;
                while (Next(out var item) == Kind.Item)
                {
                    sha.AppendData(first ? ""u8 : ","u8);
                    sha.AppendData(item is null ? "null"u8 : JsonSerializer.SerializeToUtf8Bytes(item, _options));
                    first = false;
                }
                sha.AppendData("]}"u8);
            }
            digest = Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        _max = int.MaxValue;
        if (messages is { } at)
        {
            Seek(at);
        }
        else
        {
            _stage = Stage.Done;
        }
        return new BatchScan(count, false, digest);
    }

    /// <summary>Adds the next messages (at most <paramref name="count"/>; a null item stays null) to <paramref name="into"/>; answers how many.</summary>
    public int Read(List<SendMessageRequest?> into, int count)
    {
        var added = 0;
        while (added < count && Next(out var item) == Kind.Item)
        {
            into.Add(item);
            added++;
        }
        return added;
    }

    public void Dispose()
    {
        foreach (var piece in _pieces)
        {
            ArrayPool<byte>.Shared.Return(piece);
        }
        _pieces.Clear();
        _body = default;
    }

    /// <summary>Goes back to just after a messages array's <c>[</c>: reading stops at its <c>]</c>.</summary>
    private void Seek((JsonReaderState State, long Position) at)
    {
        (_state, _position) = at;
        _stage = Stage.Items;
        _items = 0;
        _single = true;
    }

    private enum Kind
    {
        End,
        ArrayStart,
        Null,
        Item,
        TooMany,
    }

    /// <summary>Reads up to the next thing the caller wants: a message (<paramref name="item"/>, null for a null item), the start of a messages array, a null messages value, or the end.</summary>
    private Kind Next(out SendMessageRequest? item)
    {
        item = null;
        if (_stage == Stage.Done)
        {
            return Kind.End;
        }
        var reader = new Utf8JsonReader(_body.Slice(_position), true, _position == 0 ? new JsonReaderState(_readerOptions) : _state);
        try
        {
            while (true)
            {
                if (!reader.Read())
                {
                    if (_stage == Stage.Start)
                    {
                        throw Invalid(new JsonException("The body is empty: send {\"messages\": [...]}."));
                    }
                    if (_stage != Stage.End)
                    {
                        throw Invalid(new JsonException("The body ended before the JSON object did."));
                    }
                    _stage = Stage.Done;
                    return Kind.End;
                }
                var kind = Token(ref reader, out item);
                _position += reader.BytesConsumed;
                _state = reader.CurrentState;
                if (kind != Kind.End)
                {
                    return kind;
                }
                if (_stage == Stage.Done)
                {
                    return Kind.End;
                }
                reader = new Utf8JsonReader(_body.Slice(_position), true, _state);
            }
        }
        catch (JsonException ex)
        {
            throw Invalid(ex);
        }
    }

    /// <summary>Handles the token just read; <see cref="Kind.End"/> when it yields nothing to the caller.</summary>
    private Kind Token(ref Utf8JsonReader reader, out SendMessageRequest? item)
    {
        item = null;
        switch (_stage)
        {
            case Stage.Start:
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new JsonException("The body must be a JSON object: {\"messages\": [...]}.");
                }
                _stage = Stage.Properties;
                return Kind.End;
            case Stage.Properties:
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    _stage = Stage.End;
                    return Kind.End;
                }
                var isMessages = string.Equals(reader.GetString(), MessagesProperty,
                    _options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
                _stage = isMessages ? Stage.MessagesValue : Stage.SkipValue;
                return Kind.End;
            case Stage.SkipValue:
                reader.Skip();
                _stage = Stage.Properties;
                return Kind.End;
            case Stage.MessagesValue:
                if (reader.TokenType == JsonTokenType.Null)
                {
                    _stage = Stage.Properties;
                    return Kind.Null;
                }
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw new JsonException("messages must be an array of messages.", "$.messages", null, null);
                }
                _items = 0;
                _stage = Stage.Items;
                return Kind.ArrayStart;
            case Stage.Items:
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    // After a seek only this array is read (the rest of the body was checked by the scan).
                    _stage = _single ? Stage.Done : Stage.Properties;
                    return Kind.End;
                }
                if (_items == _max)
                {
                    // Message max + 1 starts: refuse now, before reading any more of the body.
                    _stage = Stage.Done;
                    return Kind.TooMany;
                }
                _items++;
                if (reader.TokenType == JsonTokenType.Null)
                {
                    return Kind.Item;
                }
                try
                {
                    item = JsonSerializer.Deserialize<SendMessageRequest>(ref reader, _options);
                }
                catch (JsonException ex)
                {
                    var path = $"$.messages[{_items - 1}]{ex.Path?.TrimStart('$')}";
                    throw new JsonException(ex.Message.Split(" Path:")[0], path, ex.LineNumber, ex.BytePositionInLine, ex);
                }
                return Kind.Item;
            default:
                throw new JsonException("The body has more after its JSON object.");
        }
    }

    private static ReadOnlySequence<byte> Sequence(List<byte[]> pieces, long length)
    {
        if (length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        Piece? first = null;
        Piece? last = null;
        var left = length;
        foreach (var array in pieces)
        {
            var memory = array.AsMemory(0, (int)Math.Min(left, PieceSize));
            left -= memory.Length;
            last = last is null ? first = new Piece(memory, 0) : last.Append(memory);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Piece Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Piece(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private static BadHttpRequestException Invalid(JsonException json) =>
        new($"The body is not valid JSON for this endpoint: {json.Message}", StatusCodes.Status400BadRequest, json);
}
