using Gateway.Grains.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Gateway.Tests.Grains;

/// <summary>The one usage-count record, and the Orleans messages that expose their own [Id] fields through it.</summary>
public sealed class TokenUsageTests
{
    [Fact]
    public void Sums_part_by_part_and_bills_every_input_part()
    {
        var sum = new TokenUsage(10, 2, 30, 40, 5) + new TokenUsage(1, 1, 1, 1, 1);

        Assert.Equal(new TokenUsage(Input: 11, Output: 3, CacheCreation: 31, CacheRead: 41, CacheCreation1h: 6), sum);
        Assert.Equal(11 + 31 + 41, sum.BilledInput);
    }

    [Fact]
    public void A_charge_reads_and_sets_its_own_fields_through_tokens()
    {
        var charge = new UsageCharge { RequestId = "r", Model = "m", Tokens = new TokenUsage(1, 2, 3, 4, 5) };

        Assert.Equal((1L, 2L, 3L, 4L, 5L),
            (charge.InputTokens, charge.OutputTokens, charge.CacheCreationInputTokens, charge.CacheReadInputTokens, charge.CacheCreation1hInputTokens));
        Assert.Equal(new TokenUsage(1, 2, 3, 4, 5), charge.Tokens);
        // Sessions keep no 1-hour split: it is dropped on the way in, not carried in a field the wire lacks.
        Assert.Equal(new TokenUsage(1, 2, 3, 4), new SessionCharge { KeyId = "k", Tokens = charge.Tokens }.Tokens);
    }

    [Fact]
    public void Orleans_round_trips_the_charge_and_the_record()
    {
        var services = new ServiceCollection();
        services.AddSerializer();
        using var provider = services.BuildServiceProvider();
        var serializer = provider.GetRequiredService<Serializer>();
        var charge = new UsageCharge { RequestId = "r", Model = "m", Tokens = new TokenUsage(1, 2, 3, 4, 5), ToolCalls = 6 };
        var tokens = new TokenUsage(7, 8, 9, 10, 11);

        Assert.Equal(charge, serializer.Deserialize<UsageCharge>(serializer.SerializeToArray(charge)));
        Assert.Equal(tokens, serializer.Deserialize<TokenUsage>(serializer.SerializeToArray(tokens)));
    }
}
