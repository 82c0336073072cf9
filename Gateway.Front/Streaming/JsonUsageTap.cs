using System.Buffers;
using System.Text.Json;
using Gateway.Front.Buffers;

namespace Gateway.Front.Streaming;

/// <summary>
/// Taps a non-streaming JSON response: reads <c>usage</c>, <c>model</c>, <c>stop_reason</c>, tool
/// names and the error type as the bytes pass, with one forward <see cref="Utf8JsonReader"/> resumed
/// chunk after chunk. Only the fields of the top-level Message are read; everything else is passed
/// over token by token, so neither the body's size nor its nesting matters: a body too deep or too large
/// to buffer and parse at the end is still charged. What it keeps between chunks is the one token cut by
/// a chunk boundary.
/// </summary>
public sealed class JsonUsageTap : IResponseTap
{
    /// <summary>
    /// A single JSON token longer than this (a string of 64 MB) is not carried: the tap gives up on the body.
    /// Real Messages stay far below it (one text block of max_tokens output is about a megabyte).
    /// </summary>
    internal const int MaxCarriedToken = 64 * 1024 * 1024;

    // Depth is tracked by the reader in a bit per level; any nesting a body can carry is fine.
    private static readonly JsonReaderOptions Options = new() { MaxDepth = int.MaxValue };

    private byte[] _carry = [];
    private int _carryLength;
    /// <summary>Carry length at which parsing is tried again after a token did not fit: doubling keeps a long token linear.</summary>
    private int _retryAt;
    private JsonReaderState _state = new(Options);
    private bool _started;
    private bool _ended;
    private bool _failed;

    private Top _top;
    private Sub _sub;
    private bool _inBlock;
    private bool _inCacheCreation;
    private Sub _cacheField;
    private Sub _blockField;
    private string? _blockType;
    private string? _blockName;

    public ObservedUsage Usage { get; } = new();

    public void Observe(ReadOnlySpan<byte> chunk)
    {
        if (_failed || _ended || chunk.IsEmpty)
        {
            return;
        }
        if (_carryLength == 0)
        {
            var consumed = Parse(chunk, isFinalBlock: false);
            Carry(chunk[consumed..]);
            return;
        }
        if ((long)_carryLength + chunk.Length > MaxCarriedToken)
        {
            GiveUp();
            return;
        }
        PooledBytes.Append(ref _carry, ref _carryLength, chunk);
        if (_carryLength < _retryAt)
        {
            return;
        }
        var used = Parse(_carry.AsSpan(0, _carryLength), isFinalBlock: false);
        var rest = _carryLength - used;
        // Overlapping copy to the front: Span.CopyTo moves memory safely.
        _carry.AsSpan(used, rest).CopyTo(_carry);
        _carryLength = rest;
        _retryAt = rest == 0 ? 0 : rest * 2;
    }

    public void Complete()
    {
        if (!_failed && !_ended && _carryLength > 0)
        {
            Parse(_carry.AsSpan(0, _carryLength), isFinalBlock: true);
            _carryLength = 0;
        }
        if (_ended)
        {
            Usage.Completed = Usage.ErrorType is null;
        }
    }

    public void Dispose()
    {
        if (_carry.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_carry);
        }
        _carry = [];
        _carryLength = 0;
    }

    private void Carry(ReadOnlySpan<byte> rest)
    {
        if (rest.IsEmpty || _failed || _ended)
        {
            return;
        }
        if (rest.Length > MaxCarriedToken)
        {
            GiveUp();
            return;
        }
        PooledBytes.Append(ref _carry, ref _carryLength, rest);
        _retryAt = rest.Length * 2;
    }

    private void GiveUp()
    {
        _failed = true;
        _carryLength = 0;
    }

    /// <summary>Reads every whole token of <paramref name="data"/>; returns the bytes consumed.</summary>
    private int Parse(ReadOnlySpan<byte> data, bool isFinalBlock)
    {
        var reader = new Utf8JsonReader(data, isFinalBlock, _state);
        try
        {
            while (!_ended && reader.Read())
            {
                Handle(ref reader);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // A body that is not JSON (or is cut short): what was read before stays; nothing more comes.
            _failed = true;
            return data.Length;
        }
        _state = reader.CurrentState;
        return (int)reader.BytesConsumed;
    }

    private void Handle(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                if (!_started)
                {
                    _started = true;
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        _failed = true;
                        _ended = true;
                    }
                }
                else if (depth == 1)
                {
                    _sub = Sub.None;
                }
                else if (depth == 2 && _top == Top.Usage && _sub == Sub.CacheCreationDetail && reader.TokenType == JsonTokenType.StartObject)
                {
                    // usage.cache_creation: which writes were for an hour.
                    _inCacheCreation = true;
                    _sub = Sub.None;
                }
                else if (depth == 2 && _top == Top.Content && reader.TokenType == JsonTokenType.StartObject)
                {
                    _inBlock = true;
                    _blockField = Sub.None;
                    _blockType = _blockName = null;
                }
                break;
            case JsonTokenType.EndObject or JsonTokenType.EndArray:
                if (depth == 0)
                {
                    _ended = true;
                }
                else if (depth == 1)
                {
                    _top = Top.None;
                }
                else if (depth == 2 && _inCacheCreation)
                {
                    _inCacheCreation = false;
                }
                else if (depth == 2 && _inBlock)
                {
                    _inBlock = false;
                    if (_blockName is not null && _blockType is "tool_use" or "server_tool_use")
                    {
                        Usage.AddToolCall(_blockName);
                    }
                }
                break;
            case JsonTokenType.PropertyName:
                if (depth == 1)
                {
                    _top = TopOf(ref reader);
                }
                else if (depth == 2)
                {
                    _sub = SubOf(ref reader);
                }
                else if (depth == 3 && _inBlock)
                {
                    _blockField = SubOf(ref reader);
                }
                else if (depth == 3 && _inCacheCreation)
                {
                    _cacheField = Is(ref reader, "ephemeral_1h_input_tokens"u8) ? Sub.CacheCreation1h : Sub.None;
                }
                break;
            default:
                if (depth == 1)
                {
                    ReadTopValue(ref reader);
                }
                else if (depth == 2)
                {
                    ReadSubValue(ref reader);
                }
                else if (depth == 3 && _inBlock)
                {
                    if (_blockField == Sub.Type)
                    {
                        _blockType = UsageJson.StringOf(ref reader);
                    }
                    else if (_blockField == Sub.Name)
                    {
                        _blockName = UsageJson.StringOf(ref reader);
                    }
                }
                else if (depth == 3 && _inCacheCreation && _cacheField == Sub.CacheCreation1h
                         && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var hour))
                {
                    Usage.CacheCreation1hInputTokens = hour;
                }
                break;
        }
    }

    private void ReadTopValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            if (_top == Top.Model)
            {
                Usage.ServedModel = UsageJson.StringOf(ref reader);
            }
            else if (_top == Top.StopReason)
            {
                Usage.StopReason = UsageJson.StringOf(ref reader);
            }
        }
        _top = Top.None;
    }

    private void ReadSubValue(ref Utf8JsonReader reader)
    {
        if (_top == Top.Usage && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value))
        {
            switch (_sub)
            {
                case Sub.InputTokens: Usage.InputTokens = value; break;
                case Sub.OutputTokens: Usage.OutputTokens = value; break;
                case Sub.CacheCreation: Usage.CacheCreationInputTokens = value; break;
                case Sub.CacheRead: Usage.CacheReadInputTokens = value; break;
            }
        }
        else if (_top == Top.Error && _sub == Sub.Type && reader.TokenType == JsonTokenType.String)
        {
            Usage.ErrorType = UsageJson.StringOf(ref reader);
        }
        _sub = Sub.None;
    }

    private static Top TopOf(ref Utf8JsonReader reader) =>
        Is(ref reader, "usage"u8) ? Top.Usage
        : Is(ref reader, "model"u8) ? Top.Model
        : Is(ref reader, "stop_reason"u8) ? Top.StopReason
        : Is(ref reader, "content"u8) ? Top.Content
        : Is(ref reader, "error"u8) ? Top.Error
        : Top.Other;

    private static Sub SubOf(ref Utf8JsonReader reader) =>
        Is(ref reader, "input_tokens"u8) ? Sub.InputTokens
        : Is(ref reader, "output_tokens"u8) ? Sub.OutputTokens
        : Is(ref reader, "cache_creation_input_tokens"u8) ? Sub.CacheCreation
        : Is(ref reader, "cache_read_input_tokens"u8) ? Sub.CacheRead
        : Is(ref reader, "cache_creation"u8) ? Sub.CacheCreationDetail
        : Is(ref reader, "type"u8) ? Sub.Type
        : Is(ref reader, "name"u8) ? Sub.Name
        : Sub.None;

    /// <summary>A name holding a lone surrogate escape cannot be compared (it throws): it is no name read here.</summary>
    private static bool Is(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        try
        {
            return reader.ValueTextEquals(name);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private enum Top : byte { None, Other, Usage, Model, StopReason, Content, Error }

    private enum Sub : byte { None, InputTokens, OutputTokens, CacheCreation, CacheRead, CacheCreationDetail, CacheCreation1h, Type, Name }
}
