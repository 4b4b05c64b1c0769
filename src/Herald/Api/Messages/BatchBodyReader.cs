using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Herald.Api.Messages;

/// <summary>What <see cref="BatchBodyReader"/> read: the request, or that it holds more messages than the limit.</summary>
internal readonly record struct BatchBody(SendBatchRequest? Request, bool TooMany);

/// <summary>
/// Reads the body of <c>POST /api/v1/messages/batch</c> (<c>{"messages": [...]}</c>) from the request's pipe one message at
/// a time and stops as soon as message <c>max + 1</c> starts, so a body of millions of tiny items never becomes millions of
/// objects: at most <c>max</c> messages and one message's bytes are held. Items are deserialised exactly as model binding
/// would (same options), so the request (and the Idempotency-Key hash over it) is the same.
/// </summary>
internal sealed class BatchBodyReader
{
    private const string MessagesProperty = "messages";

    private readonly int _max;
    private readonly JsonSerializerOptions _options;
    private JsonReaderState _state;
    private Stage _stage;
    private List<SendMessageRequest>? _messages; // a null item stays null (the endpoint rejects it by index), as model binding leaves it
    private bool _tooMany;

    private BatchBodyReader(int max, JsonSerializerOptions options)
    {
        _max = max;
        _options = options;
        _state = new JsonReaderState(new JsonReaderOptions
        {
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.ReadCommentHandling,
            MaxDepth = options.MaxDepth,
        });
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
    /// Reads the body. Malformed JSON is a <see cref="BadHttpRequestException"/> (400, the <see cref="JsonException"/> inside),
    /// as model binding reports it; a body over the endpoint's size limit is Kestrel's 413 as before.
    /// </summary>
    public static async Task<BatchBody> ReadAsync(PipeReader body, int max, JsonSerializerOptions options, CancellationToken ct)
    {
        var reader = new BatchBodyReader(max, options);
        while (true)
        {
            var read = await body.ReadAsync(ct);
            var buffer = read.Buffer;
            long consumed;
            try
            {
                consumed = reader.Step(buffer, read.IsCompleted);
            }
            catch (BadHttpRequestException)
            {
                // Release the read, or the server cannot drain the rest of the body and drops the connection with the 400 unsent.
                body.AdvanceTo(buffer.Start, buffer.End);
                throw;
            }
            body.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
            if (reader._stage == Stage.Done)
            {
                return reader._tooMany ? new BatchBody(null, true) : new BatchBody(new SendBatchRequest(reader._messages), false);
            }
            if (read.IsCompleted)
            {
                throw Invalid(new JsonException("The body ended before the JSON object did."));
            }
        }
    }

    /// <summary>Reads every whole token in <paramref name="buffer"/>; answers how many bytes were used (the rest is read again with more data).</summary>
    private long Step(ReadOnlySequence<byte> buffer, bool final)
    {
        var reader = new Utf8JsonReader(buffer, final, _state);
        long consumed = 0;
        try
        {
            while (_stage != Stage.Done)
            {
                if (!reader.Read())
                {
                    if (final && _stage == Stage.End)
                    {
                        _stage = Stage.Done;
                    }
                    else if (final && _stage == Stage.Start)
                    {
                        throw Invalid(new JsonException("The body is empty: send {\"messages\": [...]}."));
                    }
                    break;
                }
                if (!Token(ref reader, buffer))
                {
                    break; // a value not yet whole: read again from the last whole token
                }
                consumed = reader.BytesConsumed;
                _state = reader.CurrentState;
            }
        }
        catch (JsonException ex)
        {
            throw Invalid(ex);
        }
        return consumed;
    }

    /// <summary>Handles the token just read; false when the value it starts is not whole in the buffer yet.</summary>
    private bool Token(ref Utf8JsonReader reader, ReadOnlySequence<byte> buffer)
    {
        switch (_stage)
        {
            case Stage.Start:
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new JsonException("The body must be a JSON object: {\"messages\": [...]}.");
                }
                _stage = Stage.Properties;
                return true;
            case Stage.Properties:
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    _stage = Stage.End;
                    return true;
                }
                var isMessages = string.Equals(reader.GetString(), MessagesProperty,
                    _options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
                _stage = isMessages ? Stage.MessagesValue : Stage.SkipValue;
                return true;
            case Stage.SkipValue:
                if (!reader.TrySkip())
                {
                    return false;
                }
                _stage = Stage.Properties;
                return true;
            case Stage.MessagesValue:
                if (reader.TokenType == JsonTokenType.Null)
                {
                    _messages = null;
                    _stage = Stage.Properties;
                    return true;
                }
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw new JsonException("messages must be an array of messages.", "$.messages", null, null);
                }
                _messages = [];
                _stage = Stage.Items;
                return true;
            case Stage.Items:
                return Item(ref reader, buffer);
            default:
                throw new JsonException("The body has more after its JSON object.");
        }
    }

    private bool Item(ref Utf8JsonReader reader, ReadOnlySequence<byte> buffer)
    {
        var messages = _messages!;
        if (reader.TokenType == JsonTokenType.EndArray)
        {
            _stage = Stage.Properties;
            return true;
        }
        if (messages.Count == _max)
        {
            // Message max + 1 starts: refuse now, before reading (or holding) any more of the body.
            _tooMany = true;
            _stage = Stage.Done;
            return true;
        }
        if (reader.TokenType == JsonTokenType.Null)
        {
            messages.Add(null!);
            return true;
        }
        var start = reader.TokenStartIndex;
        if (!reader.TrySkip())
        {
            return false;
        }
        var item = new Utf8JsonReader(buffer.Slice(start, reader.BytesConsumed - start), new JsonReaderOptions
        {
            AllowTrailingCommas = _options.AllowTrailingCommas,
            CommentHandling = _options.ReadCommentHandling,
            MaxDepth = _options.MaxDepth,
        });
        try
        {
            messages.Add(JsonSerializer.Deserialize<SendMessageRequest>(ref item, _options)!);
        }
        catch (JsonException ex)
        {
            var path = $"$.messages[{messages.Count}]{ex.Path?.TrimStart('$')}";
            throw new JsonException(ex.Message.Split(" Path:")[0], path, ex.LineNumber, ex.BytePositionInLine, ex);
        }
        return true;
    }

    private static BadHttpRequestException Invalid(JsonException json) =>
        new($"The body is not valid JSON for this endpoint: {json.Message}", StatusCodes.Status400BadRequest, json);
}
