using Gateway.Grains.Abstractions;
using Gateway.Grains.Alerts;
using Gateway.Grains.Storage;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Alerts;

/// <summary>
/// A migrated Postgres database with the real stores, a clock the test moves, and "silos": each its own
/// service provider wired by <c>AddBudgetAlerts</c> (evaluator, deliverer, webhook client) over the same
/// database, as separate silo processes would be. Spend is applied the way the key grains apply it
/// (<see cref="ISpendStore.ApplyAsync"/> with a settlement batch id, at the clock's time).
/// </summary>
internal sealed class AlertRig : IAsyncDisposable
{
    private readonly List<ServiceProvider> _silos = [];

    private AlertRig(TestPostgres database)
    {
        Database = database;
        Keys = new PostgresKeyStore(database.DataSource);
        Spend = new PostgresSpendStore(database.DataSource);
        Alerts = new PostgresAlertStore(database.DataSource);
    }

    public TestPostgres Database { get; }

    public PostgresKeyStore Keys { get; }

    public PostgresSpendStore Spend { get; }

    public PostgresAlertStore Alerts { get; }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero));

    public static readonly Dictionary<string, string?> Settings = new()
    {
        // Long enough for a cold first connection on a loaded machine; the scripted hang outlasts it anyway.
        ["Alerts:DeliveryTimeout"] = "00:00:02",
        ["Alerts:RetryBaseDelay"] = "00:00:10",
        ["Alerts:RetryMaxDelay"] = "00:01:00",
        ["Alerts:GiveUpAfter"] = "01:00:00",
    };

    public static async Task<AlertRig> StartAsync()
    {
        var database = await TestPostgres.CreateAsync();
        await MigrationRunner.ApplyAsync(database.DataSource);
        return new AlertRig(database);
    }

    /// <summary>A new silo's alert services (a restart is a new one over the same database).</summary>
    public Silo StartSilo()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<TimeProvider>(Clock)
            .AddSingleton<IAlertStore>(Alerts);
        services.AddBudgetAlerts(configuration);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        _silos.Add(provider);
        return new Silo(ActivatorUtilities.CreateInstance<BudgetAlertEvaluator>(provider), ActivatorUtilities.CreateInstance<AlertDeliverer>(provider));
    }

    public sealed record Silo(BudgetAlertEvaluator Evaluator, AlertDeliverer Deliverer)
    {
        public async Task<(int Recorded, int Delivered)> RoundAsync()
        {
            var recorded = await Evaluator.EvaluateAsync(CancellationToken.None);
            return (recorded, await Deliverer.DeliverDueAsync(CancellationToken.None));
        }
    }

    public async Task<string> TeamAsync(string name) =>
        (await Keys.CreateTeamAsync(new NewTeam(name + "-" + Guid.NewGuid().ToString("N")[..6], null))).TeamId;

    public async Task<string> KeyAsync(string teamId, string name, decimal? dailyBudget = null, decimal? monthlyBudget = null)
    {
        var secret = KeySecrets.Generate();
        var key = await Keys.CreateKeyAsync(
            new NewKey { TeamId = teamId, Name = name, Limits = KeyLimits.Unlimited with { DailyBudgetUsd = dailyBudget, MonthlyBudgetUsd = monthlyBudget } },
            KeySecrets.Hash(secret), KeySecrets.DisplayPrefix(secret));
        return key.KeyId;
    }

    public Task<AlertRule> RuleAsync(string scope, string targetId, string period, int[] thresholds, string url, decimal? budget = null) =>
        Alerts.CreateRuleAsync(new AlertRule
        {
            RuleId = "",
            Name = $"{scope} {targetId}",
            Scope = scope,
            TargetId = targetId,
            Period = period,
            Thresholds = thresholds,
            BudgetUsd = budget,
            WebhookUrl = url,
        });

    /// <summary>Charges <paramref name="usd"/> to the key as a settlement batch does, at the clock's time.</summary>
    public Task ChargeAsync(string keyId, decimal usd) =>
        Spend.ApplyAsync(keyId, Guid.NewGuid(),
            [new PricedCharge { Model = "claude-sonnet-4-5", Minute = PricedCharge.MinuteOf(Clock.GetUtcNow()), CostUsd = usd }],
            Clock.GetUtcNow());

    public async Task<AlertDeliveryRecord> DeliveryAsync(string ruleId, int threshold, DateOnly? periodStart = null) =>
        Assert.Single(await Alerts.ListDeliveriesAsync(ruleId, 100),
            d => d.Threshold == threshold && (periodStart is null || d.PeriodStart == periodStart));

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
        await Database.DisposeAsync();
    }
}
