using System.Text;
using Gateway.Front.Envelope;

namespace Gateway.Tests.Envelope;

public class EnvelopeReaderTests
{
    private static (bool ok, RequestEnvelope envelope, string error) Read(string json, string? sessionHeader = null)
    {
        var ok = EnvelopeReader.TryRead(Encoding.UTF8.GetBytes(json), sessionHeader, out var envelope, out var error);
        return (ok, envelope, error);
    }

    [Fact]
    public void Reads_model_stream_max_tokens_and_skips_unknown_fields()
    {
        var (ok, e, _) = Read("""
            {"thinking":{"type":"enabled","budget_tokens":1024},"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[{"type":"text","text":"hi \"there\""}]}],
             "max_tokens":4096,"context_management":{"edits":[]},"stream":true,"tools":[{"name":"x","input_schema":{"type":"object"}}]}
            """);
        Assert.True(ok);
        Assert.Equal("claude-sonnet-4-5", e.Model);
        Assert.True(e.Stream);
        Assert.Equal(4096, e.MaxTokens);
        Assert.Null(e.SessionId);
    }

    [Fact]
    public void Session_comes_from_header_first_then_from_json_user_id_then_from_legacy_user_id()
    {
        const string jsonUserId = """{"model":"m","metadata":{"user_id":"{\"device_id\":\"d1\",\"account_uuid\":\"\",\"session_id\":\"s-json\"}"}}""";
        Assert.Equal("s-header", Read(jsonUserId, "s-header").envelope.SessionId);
        Assert.Equal("s-json", Read(jsonUserId).envelope.SessionId);
        Assert.Equal("4f1c", Read("""{"model":"m","metadata":{"user_id":"user_abc_account__session_4f1c"}}""").envelope.SessionId);
        Assert.Null(Read("""{"model":"m","metadata":{"user_id":"just-a-user"}}""").envelope.SessionId);
    }

    [Theory]
    [InlineData("""{"model":"m",""", "not valid JSON")]
    [InlineData("""{"model":"m"} trailing""", "not valid JSON")]
    [InlineData("""[1,2]""", "must be a JSON object")]
    [InlineData("""{"messages":[]}""", "model: Field required")]
    [InlineData("""{"model":42}""", "model: Input should be a valid string")]
    [InlineData("""{"model":"m","stream":"yes"}""", "stream: Input should be a valid boolean")]
    [InlineData("""{"model":"m","max_tokens":1.5}""", "max_tokens: Input should be a valid integer")]
    [InlineData("", "not valid JSON")]
    [InlineData("""{"model":"m","max_tokens":0}""", "max_tokens: Input should be greater than or equal to 1")]
    [InlineData("""{"model":"m","max_tokens":-5}""", "max_tokens: Input should be greater than or equal to 1")]
    [InlineData("""{"model":"claude\ud800"}""", "printable")]
    public void Rejects_bad_bodies_with_a_clear_message(string json, string expected)
    {
        var (ok, _, error) = Read(json);
        Assert.False(ok);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Rejects_hostile_nesting_without_stack_overflow()
    {
        var deep = "{\"model\":\"m\",\"x\":" + new string('[', 10_000) + new string(']', 10_000) + "}";
        var (ok, _, error) = Read(deep);
        Assert.False(ok);
        Assert.Contains("depth", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Rejects_invalid_utf8_in_strings()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"AB"}]}""");
        var at = Array.IndexOf(bytes, (byte)'A');
        bytes[at] = 0xC3; // a lead byte followed by 'B': not UTF-8
        Assert.False(EnvelopeReader.TryRead(bytes, null, out _, out var error));
        Assert.Contains("not valid UTF-8", error);
    }

    [Fact]
    public void A_lone_surrogate_escape_in_a_name_or_in_user_id_is_skipped_not_thrown()
    {
        // Found by the envelope fuzz: ValueTextEquals/GetString throw InvalidOperationException on these.
        var (ok, e, error) = Read("""{"x\ud800":1,"model":"m","metadata":{"us\udc00er":2,"user_id":"a\ud800_session_zz"}}""");
        Assert.True(ok, error);
        Assert.Equal("m", e.Model);
        Assert.Null(e.SessionId);
        Assert.True(Read("""{"model":"m","metadata":{"user_id":"{\"session_id\":\"\\ud800\"}"}}""").ok);
    }

    [Theory]
    [InlineData("0b7c6a5e-2f1d-4c3b-9a8e-7f6d5c4b3a21", "0b7c6a5e-2f1d-4c3b-9a8e-7f6d5c4b3a21")]
    [InlineData("  ", null)]
    [InlineData("has space", "sha256-")]
    [InlineData("nul\u0000byte", "sha256-")]
    public void Session_ids_are_kept_when_short_and_printable_else_digested(string raw, string? expected)
    {
        var session = SessionIds.Normalize(System.Text.RegularExpressions.Regex.Unescape(raw));
        if (expected is null)
        {
            Assert.Null(session);
            return;
        }
        Assert.StartsWith(expected, session);
        Assert.InRange(session!.Length, 1, SessionIds.MaxLength);
        // Stable: the same raw id is the same session on every front.
        Assert.Equal(session, SessionIds.Normalize(System.Text.RegularExpressions.Regex.Unescape(raw)));
        Assert.StartsWith(SessionIds.DigestPrefix, SessionIds.Normalize(new string('a', 40_000)));
    }
}
