using System.Text;
using Gateway.Front.Admission;
using Gateway.Tests.Rewrite;

namespace Gateway.Tests.Admission;

/// <summary>
/// Which bodies make the upstream pull in input they do not hold (so a budget's worst case counts a context
/// window of input for them), and that Claude Code's own bodies, whose tools merely mention URLs, do not.
/// </summary>
public sealed class ExternalInputScanTests
{
    public static IEnumerable<object[]> Fixtures() => RewriteKit.FixtureNames();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Claude_Codes_recorded_bodies_pull_in_nothing(string name) =>
        Assert.False(ExternalInputScan.PullsExternalInput(RewriteKit.Fixture(name)));

    [Theory]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://example.com/a.pdf"}}]}]}""")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type" : "url","url":"https://example.com/a.png"}}]}]}""")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"file","file_id":"file_011"}}]}]}""")]
    [InlineData("""{"model":"m","max_tokens":1,"mcp_servers":[{"type":"url","url":"https://mcp.example.com","name":"x"}],"messages":[]}""")]
    [InlineData("""{"model":"m","max_tokens":1,"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[]}""")]
    [InlineData("""{"model":"m","max_tokens":1,"tools":[{"type":"web_fetch_20250910","name":"web_fetch"}],"messages":[]}""")]
    [InlineData("""{"model":"m","max_tokens":1,"tools":[{"type":"code_execution_20250825","name":"code_execution"}],"messages":[]}""")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"\u0074ype":"url","url":"https://example.com/a.pdf"}}]}]}""")]
    public void Bodies_that_fetch_documents_or_run_server_tools_pull_in_input(string body) =>
        Assert.True(ExternalInputScan.PullsExternalInput(Encoding.UTF8.GetBytes(body)));

    [Theory]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"Read \"type\":\"url\" and file_id aloud"}]}""")]
    [InlineData("""{"model":"m","max_tokens":1,"tools":[{"name":"fetch","input_schema":{"type":"object","properties":{"url":{"type":"string"}}}}],"messages":[]}""")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]}]}""")]
    public void Bodies_that_hold_all_their_input_do_not(string body) =>
        Assert.False(ExternalInputScan.PullsExternalInput(Encoding.UTF8.GetBytes(body)));
}
