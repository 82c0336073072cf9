using System.Diagnostics;
using Gateway.Front.Settlement;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;
using Gateway.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Serialization;

namespace Gateway.Tests.Security;

/// <summary>
/// One bad charge never blocks or drops another: a charge Postgres refuses (made bad on purpose below the
/// edge validation: a NUL in its model, which the envelope reader refuses) is isolated from its batch,
/// recorded in <c>settlement_rejects</c> and dropped; the batch's good charges and the key's later
/// requests are all charged, well inside the window a retried batch would otherwise hold them.
/// </summary>
[Collection(HostileStringCollection.Name)]
public sealed class SettlementIsolationTests(HostileStringHost host)
{
    [Fact]
    public async Task A_charge_Postgres_refuses_is_isolated_recorded_and_dropped_and_every_other_charge_lands()
    {
        var key = await host.TenantAsync();
        var settler = host.Front.Services.GetRequiredService<UsageSettler>();
        var prices = host.Front.Services.GetRequiredService<PriceTable>();
        var rejectedBefore = settler.Rejected;
        var run = Guid.NewGuid().ToString("N")[..8];

        // One batch (enqueued together, inside one flush): 6 good charges around a bad one.
        decimal expected = 0;
        for (var i = 0; i < 7; i++)
        {
            var bad = i == 3;
            var model = bad ? "claude-sonnet-4-5\0evil" : "claude-sonnet-4-5";
            var charge = new UsageCharge
            {
                RequestId = $"req_{run}_{i}",
                Model = model,
                InputTokens = 1000 + i,
                OutputTokens = 100,
                At = DateTimeOffset.UtcNow,
            };
            var cost = prices.Cost(model, charge.InputTokens, charge.OutputTokens, 0, 0);
            if (!bad)
            {
                expected += Math.Round(cost, 8, MidpointRounding.AwayFromZero);
            }
            await settler.EnqueueAsync(new PendingCharge(key.KeyId, charge, cost, key.TeamId));
        }

        // The retry window is 10 minutes: landing within seconds means the bad charge held nothing up.
        var clock = Stopwatch.StartNew();
        while (await host.SpendAsync(key) != expected && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }
        Assert.Equal(expected, await host.SpendAsync(key));
        Assert.Equal(6L, await host.ScalarAsync<long>(
            "SELECT coalesce(sum(requests), 0)::bigint FROM usage_minute WHERE key_id = @k", ("k", key.KeyId)));

        while (await host.ScalarAsync<long>("SELECT count(*) FROM settlement_rejects WHERE key_id = @k", ("k", key.KeyId)) == 0
               && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }
        Assert.Equal($"req_{run}_3", await host.ScalarAsync<string>("SELECT request_id FROM settlement_rejects WHERE key_id = @k", ("k", key.KeyId)));
        var reason = await host.ScalarAsync<string>("SELECT reason FROM settlement_rejects WHERE key_id = @k", ("k", key.KeyId));
        Assert.StartsWith("22", reason);
        Assert.DoesNotContain("evil", reason);
        Assert.Equal(rejectedBefore + 1, settler.Rejected);

        // The key's next requests through the front are all charged.
        using var client = host.Client(key.Secret);
        for (var i = 0; i < 5; i++)
        {
            expected += await host.ChargedRequestAsync(client);
        }
        await host.AssertChargedAsync(key, expected, rows: 5, charges: 6 + 5);
    }

    [Fact]
    public async Task A_key_whose_settlement_is_stuck_does_not_hold_back_another_keys_charges()
    {
        var stuck = await host.TenantAsync();
        var other = await host.TenantAsync();
        using var stuckClient = host.Client(stuck.Secret);
        using var otherClient = host.Client(other.Secret);
        var stuckExpected = await host.ChargedRequestAsync(stuckClient);
        await host.AssertChargedAsync(stuck, stuckExpected, rows: 1);

        // Another session holds the stuck key's spend row: its settlement waits on the lock, times out and is
        // retried, as it would while its grain moves or its row is contended. The other key must not wait.
        await using var connection = await host.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM key_spend WHERE key_id = @k FOR UPDATE", connection, transaction))
        {
            lockRow.Parameters.AddWithValue("k", stuck.KeyId);
            Assert.Equal(1, await lockRow.ExecuteScalarAsync());
        }
        stuckExpected += await host.ChargedRequestAsync(stuckClient);
        await Task.Delay(300);

        decimal otherExpected = 0;
        for (var i = 0; i < 3; i++)
        {
            otherExpected += await host.ChargedRequestAsync(otherClient);
        }
        var clock = Stopwatch.StartNew();
        while (await host.SpendAsync(other) != otherExpected && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100);
        }
        Assert.Equal(otherExpected, await host.SpendAsync(other));
        Assert.NotEqual(stuckExpected, await host.SpendAsync(stuck));

        // The lock goes: the stuck key's retried batch lands, once.
        await transaction.RollbackAsync();
        await host.AssertChargedAsync(stuck, stuckExpected, rows: 2);
        await host.AssertChargedAsync(other, otherExpected, rows: 3);
    }

    [Fact]
    public async Task The_spend_store_refuses_a_NUL_model_whole_so_a_split_retry_cannot_double_charge()
    {
        var store = new PostgresSpendStore(host.Database.DataSource);
        var keyId = "key_iso_" + Guid.NewGuid().ToString("N")[..8];
        var now = DateTimeOffset.UtcNow;
        PricedCharge Charge(string model) => new()
        {
            Model = model, Minute = PricedCharge.MinuteOf(now), Tokens = new TokenUsage(Input: 10, Output: 1, CacheCreation: 0, CacheRead: 0), CostUsd = 0.5m,
        };

        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            store.ApplyAsync(keyId, Guid.NewGuid(), [Charge("claude-a"), Charge("claude\0b")], now));
        Assert.StartsWith("22", refused.SqlState);
        Assert.True(SettlementFailures.IsPermanent(refused));
        Assert.Equal(0m, (await store.LoadAsync(keyId, now)).SpentTodayUsd);
        Assert.Equal(0L, await host.ScalarAsync<long>("SELECT count(*) FROM settlement_batches WHERE key_id = @k", ("k", keyId)));

        Assert.True(await store.ApplyAsync(keyId, Guid.NewGuid(), [Charge("claude-a")], now));
        Assert.Equal(0.5m, (await store.LoadAsync(keyId, now)).SpentTodayUsd);
    }

    [Fact]
    public async Task A_refused_charge_is_still_told_apart_after_crossing_Orleans_as_a_separate_front_receives_it()
    {
        // The real Postgres error, as a grain's store call throws it.
        PostgresException original;
        await using (var command = host.Database.DataSource.CreateCommand("SELECT @model"))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("model", "claude\0evil"));
            original = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
        }
        // Through Orleans' exception codec, configured as the cluster configures it (Npgsql namespace allowed).
        var services = new ServiceCollection();
        services.AddSerializer();
        services.Configure<Orleans.Serialization.ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));
        await using var provider = services.BuildServiceProvider();
        var serializer = provider.GetRequiredService<Orleans.Serialization.Serializer>();
        var received = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(original))!;

        Assert.True(SettlementFailures.IsPermanent(original));
        Assert.True(SettlementFailures.IsPermanent(received), $"{received.GetType().FullName}: {received.Message}");
        Assert.StartsWith("22", SettlementFailures.Reason(received));
    }

    [Fact]
    public void Only_data_errors_are_permanent_everything_else_is_retried()
    {
        Assert.False(SettlementFailures.IsPermanent(new TimeoutException()));
        Assert.False(SettlementFailures.IsPermanent(new NpgsqlException("connection refused", new System.Net.Sockets.SocketException())));
        Assert.False(SettlementFailures.IsPermanent(new InvalidOperationException("silo gone")));
        Assert.False(SettlementFailures.IsPermanent(new OperationCanceledException()));
        Assert.True(SettlementFailures.IsPermanent(new OverflowException()));
        Assert.True(SettlementFailures.IsPermanent(new InvalidOperationException("wrapped", new OverflowException())));
    }
}
