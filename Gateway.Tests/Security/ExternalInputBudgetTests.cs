using System.Net;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Security;

/// <summary>
/// A body of a few hundred bytes can bill a whole context window of input when the upstream fetches a
/// document by URL (or runs a server tool): with <c>max_tokens: 1</c> its size-based worst case would be a
/// fraction of a cent, and a budget could be overshot by many such requests at once. For a key with a
/// budget, such a request holds a context window of input; the same body without the URL holds little.
/// </summary>
public sealed class ExternalInputBudgetTests(TenantPoolHost host) : IClassFixture<TenantPoolHost>
{
    private const string ByUrl = """{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://example.com/big.pdf"}},{"type":"text","text":"Summarise"}]}]}""";
    private const string Inline = """{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"Summarise https://example.com/big.pdf"}]}]}""";

    [Fact]
    public async Task A_document_fetched_by_URL_holds_a_context_window_of_input_against_the_budget()
    {
        // $0.50 a day: 200,000 input tokens of Sonnet ($0.60) cannot be held; the inline body (a few dozen tokens) can.
        var key = await GatewayKeys.CreateAsync(host.Admin, limits: new { daily_budget_usd = 0.5m });
        using var client = host.Client(key.Secret);

        using (var fetched = await client.PostAsync("v1/messages", Json.Body(ByUrl)))
        {
            var body = await fetched.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.TooManyRequests, fetched.StatusCode);
            Assert.Equal("rate_limit_error", Json.AssertAnthropicError(body));
            Assert.Contains("daily budget of $0.5", body);
        }
        using (var inline = await client.PostAsync("v1/messages", Json.Body(Inline)))
        {
            Assert.Equal(HttpStatusCode.OK, inline.StatusCode);
        }

        // A key without a budget keeps the size-based estimate and no USD bookkeeping: the URL body goes through.
        var unbudgeted = await GatewayKeys.CreateAsync(host.Admin);
        using var other = host.Client(unbudgeted.Secret);
        using var served = await other.PostAsync("v1/messages", Json.Body(ByUrl));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }
}
