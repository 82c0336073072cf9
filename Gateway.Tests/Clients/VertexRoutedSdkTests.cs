using Anthropic;
using Anthropic.Models.Messages;
using Gateway.FakeUpstream;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Gateway.Tests.Clouds;
using Gateway.Tests.Hosting;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Clients;

/// <summary>
/// The official Anthropic C# SDK, unchanged, through a virtual key to a model the route table sends to Vertex AI:
/// the answer, streamed and not, with usage; the key charged and one audit row per request naming the provider,
/// the Vertex credential and the tokens.
/// </summary>
public sealed class VertexRoutedSdkTests
{
    [Fact]
    public async Task The_sdk_gets_its_answers_through_Vertex_and_the_books_record_them()
    {
        await using var vertex = await VertexFixture.StartAsync(new FakeUpstreamOptions { ReplyText = "Hello from Vertex.", EventDelayMs = 2 });
        await using var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        await using var anthropic = await FakeUpstreamServer.StartAsync();
        await using var front = await RoutingHost.StartWithKeysAsync(
            RoutingHost.Provider(0, "anthropic", anthropic.BaseAddress, ("a1", "sk-a-1")),
            vertex.Provider(1),
            new Dictionary<string, string?>
            {
                ["Postgres:ConnectionString"] = database.ConnectionString,
                ["Audit:FlushInterval"] = "00:00:00.050",
                ["Routing:Rules:0:Match"] = "claude-sonnet-*",
                ["Routing:Rules:0:Provider"] = "vertex",
            });
        using var admin = front.CreateAdminClient();
        var key = await GatewayKeys.CreateAsync(admin, limits: new { daily_budget_usd = 5 });
        var client = new AnthropicClient { BaseUrl = front.BaseAddress.ToString(), ApiKey = key.Secret, MaxRetries = 0, Timeout = TimeSpan.FromSeconds(30) };

        var message = await client.Messages.Create(new MessageCreateParams
        {
            Model = "claude-sonnet-4-5",
            MaxTokens = 256,
            Messages = [new UserMessageParam { Content = "Say hello" }],
        });
        var streamed = new System.Text.StringBuilder();
        long streamedOutput = 0;
        await foreach (var ev in client.Messages.CreateStreaming(new MessageCreateParams
        {
            Model = "claude-sonnet-4-5",
            MaxTokens = 256,
            Messages = [new UserMessageParam { Content = "Say hello" }],
        }))
        {
            if (ev.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var text))
            {
                streamed.Append(text.Text);
            }
            else if (ev.TryPickDelta(out var messageDelta))
            {
                streamedOutput = messageDelta.Usage.OutputTokens;
            }
        }

        Assert.Equal("Hello from Vertex.", string.Concat(message.Content.Select(b => b.TryPickText(out var t) ? t.Text : "")));
        Assert.True(message.Usage.OutputTokens > 0);
        Assert.Equal("Hello from Vertex.", streamed.ToString());
        Assert.True(streamedOutput > 0);
        Assert.Equal(2, vertex.Fake.Received.Count(r => r.PathAndQuery.StartsWith("/v1/projects/", StringComparison.Ordinal)));
        Assert.Empty(anthropic.Received);
        Assert.All(vertex.Fake.Received.Where(r => r.PathAndQuery.StartsWith("/v1/", StringComparison.Ordinal)),
            r => Assert.Equal("csharp", r.Headers["X-Stainless-Lang"]));

        // Settled on the key, and one audit row per request with the Vertex provider, its credential id and the usage.
        var grains = front.Services.GetRequiredService<IGrainFactory>();
        await Eventually.HoldsAsync("both requests settle on the key", async () =>
            (await grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync()) is { Requests: >= 2, OutputTokens: > 0, SpentTodayUsd: > 0 }, TimeSpan.FromSeconds(20));
        await Eventually.HoldsAsync("both audit rows are written", async () =>
            await CountAsync(database, $"SELECT count(*) FROM request_log WHERE key_id = '{key.KeyId}'") >= 2, TimeSpan.FromSeconds(20));
        Assert.Equal(2L, await CountAsync(database,
            $"SELECT count(*) FROM request_log WHERE key_id = '{key.KeyId}' AND endpoint = 'messages' AND provider = 'vertex' AND upstream_key_id = 'gcp-vertex' "
            + "AND model_requested = 'claude-sonnet-4-5' AND status = 200 AND input_tokens > 0 AND output_tokens > 0 AND cost_usd > 0"));
        Assert.Equal(1L, await CountAsync(database, $"SELECT count(*) FROM request_log WHERE key_id = '{key.KeyId}' AND stream"));
    }

    private static async Task<long> CountAsync(TestPostgres database, string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
