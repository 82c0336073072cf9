using System.Text.Json;
using Gateway.Front.Envelope;

namespace Gateway.Front.Rewrite;

/// <summary>
/// One read-only <see cref="Utf8JsonReader"/> pass over a Messages request that counts the client's
/// cache breakpoints (top-level <c>cache_control</c>, tools, system blocks, message content blocks and
/// the blocks nested in them), notes their TTLs and positions, finds the three spots where the gateway
/// may add one (end of the last tool, of the last system block, of the latest user turn's last block),
/// and decides which to fill:
/// <list type="number">
/// <item>never more than <see cref="MaxBreakpoints"/> in all, the client's counted first and kept;</item>
/// <item>priority tools, then system, then the latest user turn;</item>
/// <item>a spot is skipped when it already has a <c>cache_control</c> key, when its block cannot carry
/// one (empty text, thinking, unknown block types), when the prompt prefix up to it is below the model's
/// minimum cacheable length, or when a marker there would put a 1h breakpoint after a 5m one;</item>
/// <item>the latest user turn only in a multi-turn conversation (an assistant turn came before), and only
/// when the client keeps no breakpoint at or after it and sets no top-level (automatic) cache_control,
/// which already rolls forward by itself.</item>
/// </list>
/// Positions are compared in Anthropic's prompt order (tools → system → messages), whatever the order
/// of the keys in the body. Allocates nothing.
/// </summary>
public static class BreakpointPlanner
{
    public const int MaxBreakpoints = 4;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Envelope.EnvelopeReader.MaxDepth };

    private const int ToolsSection = 0;
    private const int SystemSection = 1;
    private const int MessagesSection = 2;

    /// <param name="minimumTokens">The model's minimum cacheable prefix, in tokens.</param>
    /// <param name="bytesPerToken">Prefix size estimate.</param>
    /// <param name="oneHour">The markers to add carry <c>"ttl":"1h"</c>.</param>
    internal static BreakpointPlan Plan(ReadOnlySpan<byte> body, int minimumTokens, int bytesPerToken, bool oneHour)
    {
        var walk = new Walk();
        try
        {
            if (!ReadBody(body, ref walk))
            {
                return BreakpointPlan.Unreadable;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: ValueTextEquals on a name or value holding a lone surrogate
            // escape ("\ud800"), which the envelope reader lets through when nested; it escaped the
            // endpoint as a 500 (found by the rewrite fuzz).
            return BreakpointPlan.Unreadable;
        }
        return Decide(ref walk, minimumTokens, Math.Max(1, bytesPerToken), oneHour);
    }

    private static BreakpointPlan Decide(ref Walk w, int minimumTokens, int bytesPerToken, bool oneHour)
    {
        var plan = new BreakpointPlan
        {
            Existing = w.Markers,
            OneHour = oneHour,
            Tools = w.Tools,
            System = w.System,
            UserTurn = w.UserTurn,
        };

        // The client's markers, in prompt order: the first 5m one and the last 1h one. An automatic
        // (top-level) breakpoint lands on the last block, after every explicit one.
        long first5m = long.MaxValue, last1h = -1;
        for (var section = 0; section < 3; section++)
        {
            ref var m = ref w.Section(section);
            if (m.First5m != int.MaxValue)
            {
                first5m = Math.Min(first5m, w.PromptOffset(section, m.First5m));
            }
            if (m.Last1h >= 0)
            {
                last1h = Math.Max(last1h, w.PromptOffset(section, m.Last1h));
            }
        }
        if (w.TopLevel)
        {
            if (w.TopLevel1h)
            {
                last1h = long.MaxValue - 1;
            }
            else
            {
                first5m = Math.Min(first5m, long.MaxValue - 1);
            }
        }

        if (w.Markers > MaxBreakpoints || last1h > first5m)
        {
            plan.Outcome = InjectionOutcome.ClientBreakpointsInvalid;
            return plan;
        }
        var room = MaxBreakpoints - w.Markers;
        if (room == 0)
        {
            plan.Outcome = InjectionOutcome.NoRoom;
            return plan;
        }

        var rolling = w.UserTurnAfterAssistant && !w.TopLevel && w.LastMessageMarker < w.UserTurn.Start;
        Consider(ref w, ref plan, BreakpointSpots.Tools, ToolsSection, w.Tools);
        Consider(ref w, ref plan, BreakpointSpots.System, SystemSection, w.System);
        if (rolling)
        {
            Consider(ref w, ref plan, BreakpointSpots.LatestUserTurn, MessagesSection, w.UserTurn);
        }
        plan.Outcome = plan.Added == BreakpointSpots.None ? InjectionOutcome.NothingToAdd : InjectionOutcome.Rewritten;
        return plan;

        void Consider(ref Walk w, ref BreakpointPlan plan, BreakpointSpots flag, int section, Spot spot)
        {
            if (room == 0 || !spot.Present || spot.HasMarker || !spot.Cacheable)
            {
                return;
            }
            if (w.PromptOffset(section, spot.BlockEnd) / bytesPerToken < minimumTokens)
            {
                return;
            }
            var at = w.PromptOffset(section, spot.Start);
            if (oneHour ? first5m < at : last1h > at)
            {
                return; // 1h breakpoints must all come before 5m ones
            }
            plan.Added |= flag;
            room--;
            if (oneHour)
            {
                last1h = Math.Max(last1h, at);
            }
            else
            {
                first5m = Math.Min(first5m, at);
            }
        }
    }

    private static bool ReadBody(ReadOnlySpan<byte> body, ref Walk w)
    {
        var r = new Utf8JsonReader(body, ReaderOptions);
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }
        var sections = new Sections { Walk = w };
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            // The envelope's reading of the names, so this pass and the one-pass path agree on every body.
            var section = EnvelopeReader.SectionOf(ref r);
            r.Read();
            if (section is { } known)
            {
                sections.ReadSection(known, ref r);
            }
            else
            {
                r.Skip();
            }
        }
        w = sections.Walk;
        return !sections.Ambiguous && r.TokenType == JsonTokenType.EndObject;
    }

    /// <summary>
    /// The plan from sections already read during the envelope's pass (<see cref="EnvelopeReader.TryRead{TSections}"/>):
    /// the same answer as <see cref="Plan(ReadOnlySpan{byte}, int, int, bool)"/> over the same body, without walking it again.
    /// </summary>
    internal static BreakpointPlan Plan(ref Sections sections, int minimumTokens, int bytesPerToken, bool oneHour) =>
        !sections.Complete || sections.Ambiguous
            ? BreakpointPlan.Unreadable
            : Decide(ref sections.Walk, minimumTokens, Math.Max(1, bytesPerToken), oneHour);

    /// <summary>
    /// The planner's reading of the prompt sections, usable on its own pass (<see cref="Plan(ReadOnlySpan{byte}, int, int, bool)"/>)
    /// or riding on the envelope's. <see cref="Start"/> one before the envelope pass; <see cref="Complete"/> turns false
    /// when the pass had to leave it out (<see cref="Abandon"/>), and is false on a default (unstarted) value, so either
    /// plans nothing.
    /// </summary>
    public struct Sections : IPromptSections
    {
        internal Walk Walk;
        private int _seen;

        /// <summary>A section key came twice (which one does the API read?): such bodies are left alone.</summary>
        public bool Ambiguous { get; private set; }

        public bool Complete { get; private set; }

        public static Sections Start() => new() { Walk = new Walk(), Complete = true };

        public void Read(PromptSection section, ref Utf8JsonReader reader)
        {
            try
            {
                ReadSection(section, ref reader);
            }
            catch (InvalidOperationException e)
            {
                // ValueTextEquals on a nested name holding a lone surrogate escape ("\ud800"): valid JSON the
                // envelope pass accepts. The pass starts again without the planner, which then plans nothing.
                throw new PromptSectionsException(e);
            }
        }

        public void Abandon()
        {
            Walk = new Walk();
            Complete = false;
        }

        internal void ReadSection(PromptSection section, ref Utf8JsonReader r)
        {
            var bit = 1 << (int)section;
            if ((_seen & bit) != 0)
            {
                Ambiguous = true;
                r.Skip();
                return;
            }
            _seen |= bit;
            switch (section)
            {
                case PromptSection.Tools when r.TokenType == JsonTokenType.StartArray:
                    ReadTools(ref r, ref Walk);
                    break;
                case PromptSection.System when r.TokenType == JsonTokenType.String:
                    Walk.SystemStart = (int)r.TokenStartIndex;
                    Walk.SystemEnd = (int)r.BytesConsumed;
                    Walk.System = Spot.String(Walk.SystemStart, Walk.SystemEnd, cacheable: r.ValueSpan.Length > 0);
                    break;
                case PromptSection.System when r.TokenType == JsonTokenType.StartArray:
                    ReadSystem(ref r, ref Walk);
                    break;
                case PromptSection.Messages when r.TokenType == JsonTokenType.StartArray:
                    ReadMessages(ref r, ref Walk);
                    break;
                case PromptSection.CacheControl when r.TokenType == JsonTokenType.StartObject:
                    Walk.TopLevel = true;
                    Walk.TopLevel1h = ReadTtlIsOneHour(ref r);
                    Walk.Markers++;
                    break;
                default:
                    r.Skip();
                    break;
            }
        }
    }

    private static void ReadTools(ref Utf8JsonReader r, ref Walk w)
    {
        w.ToolsStart = (int)r.TokenStartIndex;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.StartObject)
            {
                r.Skip();
                continue;
            }
            var start = (int)r.TokenStartIndex;
            bool any = false, hasMarker = false, deferred = false;
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                any = true;
                if (r.ValueTextEquals("cache_control"u8))
                {
                    hasMarker = true;
                    r.Read();
                    ReadMarker(ref r, ref w, ToolsSection, start);
                }
                else if (r.ValueTextEquals("defer_loading"u8))
                {
                    r.Read();
                    deferred = r.TokenType == JsonTokenType.True;
                    r.Skip();
                }
                else
                {
                    r.Skip();
                }
            }
            // A deferred tool is not in the prompt prefix until it is loaded: the spot is the last tool that is.
            if (!deferred)
            {
                w.Tools = Spot.Object(start, (int)r.TokenStartIndex, empty: !any, hasMarker, cacheable: true);
            }
        }
        w.ToolsEnd = (int)r.TokenStartIndex + 1;
    }

    private static void ReadSystem(ref Utf8JsonReader r, ref Walk w)
    {
        w.SystemStart = (int)r.TokenStartIndex;
        var last = default(Spot);
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType == JsonTokenType.StartObject)
            {
                last = ReadBlock(ref r, ref w, SystemSection);
            }
            else
            {
                r.Skip();
                last = default;
            }
        }
        w.System = last;
        w.SystemEnd = (int)r.TokenStartIndex + 1;
    }

    private static void ReadMessages(ref Utf8JsonReader r, ref Walk w)
    {
        w.MessagesStart = (int)r.TokenStartIndex;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType != JsonTokenType.StartObject)
            {
                r.Skip();
                continue;
            }
            var role = Role.Other;
            var content = default(Spot);
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("role"u8))
                {
                    r.Read();
                    role = r.TokenType != JsonTokenType.String ? Role.Other
                        : r.ValueTextEquals("user"u8) ? Role.User
                        : r.ValueTextEquals("assistant"u8) ? Role.Assistant
                        : Role.Other;
                    r.Skip();
                }
                else if (r.ValueTextEquals("content"u8))
                {
                    r.Read();
                    if (r.TokenType == JsonTokenType.String)
                    {
                        content = Spot.String((int)r.TokenStartIndex, (int)r.BytesConsumed, cacheable: r.ValueSpan.Length > 0);
                    }
                    else if (r.TokenType == JsonTokenType.StartArray)
                    {
                        content = ReadBlocks(ref r, ref w, MessagesSection);
                    }
                    else
                    {
                        r.Skip();
                        content = default;
                    }
                }
                else
                {
                    r.Skip();
                }
            }
            // The role may come after the content: decide at the end of the message.
            if (role == Role.User)
            {
                w.UserTurn = content;
                w.UserTurnAfterAssistant = w.AssistantSeen;
            }
            else if (role == Role.Assistant)
            {
                w.AssistantSeen = true;
            }
        }
        w.MessagesEnd = (int)r.TokenStartIndex + 1;
    }

    /// <summary>Reads a content array (reader on its StartArray); returns the last element as a spot.</summary>
    private static Spot ReadBlocks(ref Utf8JsonReader r, ref Walk w, int section)
    {
        var last = default(Spot);
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (r.TokenType == JsonTokenType.StartObject)
            {
                last = ReadBlock(ref r, ref w, section);
            }
            else
            {
                r.Skip();
                last = default;
            }
        }
        return last;
    }

    /// <summary>
    /// Reads one content block (reader on its StartObject, left on its EndObject), counting its marker
    /// and those of blocks nested in its <c>content</c> (tool_result, search_result) or
    /// <c>source.content</c> (documents). Counting too many only costs a slot; too few would cost a 400.
    /// </summary>
    private static Spot ReadBlock(ref Utf8JsonReader r, ref Walk w, int section)
    {
        var start = (int)r.TokenStartIndex;
        bool any = false, hasMarker = false, emptyText = false;
        var kind = BlockKind.Other;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            any = true;
            if (r.ValueTextEquals("type"u8))
            {
                r.Read();
                kind = Classify(ref r);
                r.Skip();
            }
            else if (r.ValueTextEquals("text"u8))
            {
                r.Read();
                emptyText = r.TokenType == JsonTokenType.String && r.ValueSpan.Length == 0;
                r.Skip();
            }
            else if (r.ValueTextEquals("cache_control"u8))
            {
                hasMarker = true;
                r.Read();
                ReadMarker(ref r, ref w, section, start);
            }
            else if (r.ValueTextEquals("content"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.StartArray)
                {
                    ReadBlocks(ref r, ref w, section);
                }
                else
                {
                    r.Skip();
                }
            }
            else if (r.ValueTextEquals("source"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.StartObject)
                {
                    ReadSource(ref r, ref w, section);
                }
                else
                {
                    r.Skip();
                }
            }
            else
            {
                r.Skip();
            }
        }
        var cacheable = kind switch
        {
            BlockKind.Text => !emptyText,
            BlockKind.Cacheable => true,
            _ => false,
        };
        return Spot.Object(start, (int)r.TokenStartIndex, empty: !any, hasMarker, cacheable);
    }

    private static void ReadSource(ref Utf8JsonReader r, ref Walk w, int section)
    {
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("content"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.StartArray)
                {
                    ReadBlocks(ref r, ref w, section);
                }
                else
                {
                    r.Skip();
                }
            }
            else
            {
                r.Skip();
            }
        }
    }

    /// <summary>
    /// Block types known to accept <c>cache_control</c> at the end of a user turn. Thinking blocks cannot
    /// carry one, and an unknown type is left alone rather than risk a 400.
    /// </summary>
    private static BlockKind Classify(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.String)
        {
            return BlockKind.Other;
        }
        if (r.ValueTextEquals("text"u8))
        {
            return BlockKind.Text;
        }
        return r.ValueTextEquals("tool_result"u8) || r.ValueTextEquals("image"u8) || r.ValueTextEquals("document"u8)
            || r.ValueTextEquals("search_result"u8)
            ? BlockKind.Cacheable
            : BlockKind.Other;
    }

    /// <summary>A <c>cache_control</c> value (reader on it): counted when it is an object, as Anthropic does.</summary>
    private static void ReadMarker(ref Utf8JsonReader r, ref Walk w, int section, int blockStart)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            r.Skip();
            return;
        }
        w.AddMarker(section, blockStart, ReadTtlIsOneHour(ref r));
    }

    /// <summary>Reads a cache_control object (reader on its StartObject, left on its EndObject).</summary>
    private static bool ReadTtlIsOneHour(ref Utf8JsonReader r)
    {
        var oneHour = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("ttl"u8))
            {
                r.Read();
                oneHour = r.TokenType == JsonTokenType.String && r.ValueTextEquals("1h"u8);
                r.Skip();
            }
            else
            {
                r.Skip();
            }
        }
        return oneHour;
    }

    private enum Role : byte { Other, User, Assistant }

    private enum BlockKind : byte { Other, Text, Cacheable }

    /// <summary>First 5m and last 1h marker of a section, as body offsets of the blocks carrying them.</summary>
    internal struct SectionMarkers
    {
        public int First5m;
        public int Last1h;
    }

    internal struct Walk
    {
        public int ToolsStart, ToolsEnd, SystemStart, SystemEnd, MessagesStart, MessagesEnd;
        public int Markers;
        public bool TopLevel, TopLevel1h;
        public int LastMessageMarker;
        public bool AssistantSeen, UserTurnAfterAssistant;
        public Spot Tools, System, UserTurn;
        private SectionMarkers _tools, _system, _messages;

        public Walk()
        {
            ToolsStart = SystemStart = MessagesStart = -1;
            LastMessageMarker = -1;
            _tools = _system = _messages = new SectionMarkers { First5m = int.MaxValue, Last1h = -1 };
        }

        [System.Diagnostics.CodeAnalysis.UnscopedRef]
        public ref SectionMarkers Section(int section)
        {
            if (section == ToolsSection)
            {
                return ref _tools;
            }
            if (section == SystemSection)
            {
                return ref _system;
            }
            return ref _messages;
        }

        public void AddMarker(int section, int blockStart, bool oneHour)
        {
            Markers++;
            ref var m = ref Section(section);
            if (oneHour)
            {
                m.Last1h = Math.Max(m.Last1h, blockStart);
            }
            else
            {
                m.First5m = Math.Min(m.First5m, blockStart);
            }
            if (section == MessagesSection)
            {
                LastMessageMarker = Math.Max(LastMessageMarker, blockStart);
            }
        }

        /// <summary>A body offset as an offset in the prompt as Anthropic assembles it: tools, system, messages.</summary>
        public readonly long PromptOffset(int section, int offset)
        {
            long tools = ToolsStart >= 0 ? ToolsEnd - ToolsStart : 0;
            long system = SystemStart >= 0 ? SystemEnd - SystemStart : 0;
            return section switch
            {
                ToolsSection => offset - ToolsStart,
                SystemSection => tools + (offset - SystemStart),
                _ => tools + system + (offset - MessagesStart),
            };
        }
    }
}
