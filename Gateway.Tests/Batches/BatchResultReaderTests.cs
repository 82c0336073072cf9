using System.Text;
using Gateway.Front.Batches;

namespace Gateway.Tests.Batches;

public sealed class BatchResultReaderTests
{
    private static Task<List<BatchResult>> ReadAsync(string jsonl, int maxLine = 1 << 20) =>
        BatchResultReader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(jsonl)), maxLine, CancellationToken.None);

    [Fact]
    public async Task Reads_usage_of_succeeded_results_and_the_error_type_of_errored_ones()
    {
        // Content nested far deeper than a request envelope may be is skipped, not a reason to charge nothing.
        var deep = new string('[', 500) + new string(']', 500);
        var lines = string.Join("\n",
            """{"custom_id":"a","result":{"type":"succeeded","message":{"id":"msg_1","content":[{"type":"tool_use","input":{"x":""" + deep + """}}],"model":"claude-haiku-4-5","usage":{"input_tokens":10,"cache_creation_input_tokens":3,"cache_read_input_tokens":4,"output_tokens":20,"service_tier":"batch"}}}}""",
            """{"result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}},"custom_id":"b"}""",
            """{"custom_id":"c","result":{"type":"canceled"}}""",
            """{"custom_id":"d","result":{"type":"expired"}}""") + "\n";
        var results = await ReadAsync(lines);
        Assert.Equal(["a", "b", "c", "d"], results.Select(r => r.CustomId));
        var a = results[0];
        Assert.True(a.Succeeded);
        Assert.Equal(("claude-haiku-4-5", 10L, 20L, 3L, 4L), (a.Model, a.Tokens.Input, a.Tokens.Output, a.Tokens.CacheCreation, a.Tokens.CacheRead));
        Assert.Equal(("errored", "invalid_request_error"), (results[1].Type, results[1].ErrorType));
        Assert.Equal(["canceled", "expired"], results.Skip(2).Select(r => r.Type));
    }

    [Fact]
    public async Task A_last_line_without_a_newline_counts_and_a_line_over_the_bound_is_refused()
    {
        Assert.Single(await ReadAsync("""{"custom_id":"a","result":{"type":"canceled"}}"""));
        var big = "{\"custom_id\":\"a\",\"result\":{\"type\":\"succeeded\",\"message\":{\"content\":\"" + new string('x', 5000) + "\"}}}";
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(big, maxLine: 1024));
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync("""{"result":{"type":"canceled"}}""" + "\n"));
    }
}
