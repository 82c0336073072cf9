using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// A non-streaming reply is charged whatever its depth or size: the fake upstream answers a reply nested
/// 200 deep (past the JSON reader's default depth of 64), and one of 9 MB; each is charged the
/// usage the client was told, byte for byte what the upstream sent.
/// </summary>
[Collection(HostileStringCollection.Name)]
public sealed class UsageReaderTests(HostileStringHost host)
{
    [Theory]
    [InlineData(200, 0L)]
    [InlineData(0, 9L * 1024 * 1024)]
    [InlineData(900, 9L * 1024 * 1024)]
    public async Task A_deep_or_large_reply_is_charged_its_real_usage(int depth, long padding)
    {
        var key = await host.TenantAsync();
        using var client = host.Client(key.Secret);
        host.Upstream.Options.ReplyNestingDepth = depth;
        host.Upstream.Options.ReplyPaddingBytes = padding;
        string text;
        try
        {
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            host.Upstream.Options.ReplyNestingDepth = 0;
            host.Upstream.Options.ReplyPaddingBytes = 0;
        }
        Assert.True(text.Length >= padding, $"reply of {text.Length} bytes");
        var expected = host.PriceOf(text);
        await host.AssertChargedAsync(key, expected, rows: 1);
        Assert.Equal(1L, await host.ScalarAsync<long>(
            "SELECT count(*) FROM request_log WHERE key_id = @k AND output_tokens > 0 AND model_served IS NOT NULL", ("k", key.KeyId)));
    }
}
