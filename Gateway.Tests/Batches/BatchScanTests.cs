using System.Text;
using Gateway.Front.Batches;
using Gateway.Grains.Pricing;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Batches;

public sealed class BatchScanTests
{
    private static BatchScan? Scan(string json, out string error, int max = 100_000) =>
        BatchScan.TryRead(Encoding.UTF8.GetBytes(json), max, out error);

    [Fact]
    public void Reads_models_in_first_use_order_with_their_params_bytes_and_max_tokens()
    {
        var first = """{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"t","input_schema":{"type":"object"}}]}""";
        var second = """{"max_tokens":7,"model":"claude-haiku-4-5","unknown_field":{"deep":[1,2,{"model":"not-this-one"}]},"messages":[]}""";
        var third = """{"model":"claude-sonnet-4-5","max_tokens":50,"messages":[]}""";
        var json = $$"""{"extra":true,"requests":[{"custom_id":"a","params":{{first}}},{"params":{{second}},"custom_id":"b-2_X"},{"custom_id":"c","params":{{third}}}]}""";
        var scan = Scan(json, out var error);
        Assert.True(scan is not null, error);
        Assert.Equal(3, scan.RequestCount);
        Assert.Equal(["claude-sonnet-4-5", "claude-haiku-4-5"], scan.Models);
        Assert.Equal(new ModelDemand(2, first.Length + third.Length, 150), scan.Demand["claude-sonnet-4-5"]);
        Assert.Equal(new ModelDemand(1, second.Length, 7), scan.Demand["claude-haiku-4-5"]);
    }

    [Theory]
    [InlineData("""{"requests":[{"custom_id":"a","params":{"model":"m","model":"n","max_tokens":1}}]}""", "more than once")]
    [InlineData("""{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":1,"max_tokens":2}}]}""", "more than once")]
    [InlineData("""{"requests":[{"custom_id":"a","params":{"model":"m"}}]}""", "max_tokens: Field required")]
    [InlineData("""{"requests":[{"custom_id":"a","params":{"max_tokens":1}}]}""", "model: Field required")]
    [InlineData("""{"requests":[{"custom_id":"a","params":{"model":1,"max_tokens":1}}]}""", "valid string")]
    [InlineData("""{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":0}}]}""", "positive integer")]
    [InlineData("""{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":1.5}}]}""", "positive integer")]
    [InlineData("""{"requests":[{"custom_id":"a","params":{"model":"a\u0007b","max_tokens":1}}]}""", "printable")]
    [InlineData("""{"requests":[{"custom_id":"a b","params":{"model":"m","max_tokens":1}}]}""", "custom_id")]
    [InlineData("""{"requests":[{"custom_id":"a","custom_id":"b","params":{"model":"m","max_tokens":1}}]}""", "custom_id")]
    [InlineData("""{"requests":[{"params":{"model":"m","max_tokens":1}}]}""", "required")]
    [InlineData("""{"requests":[{"custom_id":"a","params":[]}]}""", "params")]
    [InlineData("""{"requests":[]}""", "at least 1")]
    [InlineData("""{"requests":{}}""", "valid list")]
    [InlineData("""{"other":1}""", "at least 1")]
    [InlineData("""{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":1}}]} {}""", "not valid JSON")]
    [InlineData("""{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":1}""", "not valid JSON")]
    public void Refuses_what_must_not_be_forwarded_or_booked(string json, string expected)
    {
        Assert.Null(Scan(json, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Refuses_more_requests_than_allowed_and_repeated_custom_ids()
    {
        var one = """{"custom_id":"ID","params":{"model":"m","max_tokens":1}}""";
        var three = "{\"requests\":[" + string.Join(",", Enumerable.Range(0, 3).Select(i => one.Replace("ID", "r" + i))) + "]}";
        Assert.NotNull(Scan(three, out _, max: 3));
        Assert.Null(Scan(three, out var error, max: 2));
        Assert.Contains("at most 2", error);
        Assert.Null(Scan("{\"requests\":[" + one + "," + one + "]}", out error));
        Assert.Contains("used twice", error);
    }

    [Fact]
    public void Model_strings_longer_than_256_are_refused()
    {
        var json = """{"requests":[{"custom_id":"a","params":{"model":"MODEL","max_tokens":1}}]}""";
        Assert.NotNull(Scan(json.Replace("MODEL", new string('m', 256)), out _));
        Assert.Null(Scan(json.Replace("MODEL", new string('m', 257)), out var error));
        Assert.Contains("256", error);
    }

    [Fact]
    public void The_worst_case_prices_input_from_bytes_and_output_at_max_tokens_at_the_batch_rate()
    {
        var prices = new PriceTable(Options.Create(new PricingOptions()));
        var json = """{"requests":[{"custom_id":"a","params":{"model":"claude-sonnet-4-5","max_tokens":1000,"messages":[]}}]}""";
        var scan = Scan(json, out _)!;
        var paramsBytes = scan.Demand["claude-sonnet-4-5"].ParamsBytes;
        var full = prices.Cost("claude-sonnet-4-5", (long)Math.Ceiling(paramsBytes / 4.0), 1000, 0, 0);
        Assert.Equal(Math.Round(full / 2, 8), BatchEndpoints.WorstCase(scan, prices, 0.5m, 4));
    }
}
