using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Reliability;

/// <summary>
/// Clients' view against the usage database's, for one key through one failure: what the clients saw
/// served, the audit rows and the charge Postgres holds, what is missing, and what the clients saw go
/// wrong meanwhile. Printed to the test output as a small report.
/// </summary>
public sealed record FailoverReport(string Scenario, IReadOnlyList<LoadOutcome> Outcomes, UsageLedger Ledger)
{
    // claude-sonnet-4-5 in the default price table, per token.
    private const decimal InputPrice = 3m / 1_000_000m;
    private const decimal OutputPrice = 15m / 1_000_000m;

    public IReadOnlyList<LoadOutcome> Served => Outcomes.Where(o => o.Served).ToList();

    /// <summary>Requests the clients saw served that have no audit row.</summary>
    public IReadOnlyList<LoadOutcome> LostRows => Served.Where(o => o.RequestId is null || !Ledger.Rows.ContainsKey(o.RequestId)).ToList();

    /// <summary>Served rows no client saw served (the front finished the request; the client lost the answer).</summary>
    public int ExtraRows => Ledger.Rows.Count(r => r.Value == 200) - (Served.Count - LostRows.Count);

    /// <summary>Served requests whose charge is missing (negative: charges no client saw served).</summary>
    public long LostCharges => Served.Count - Ledger.ChargedRequests;

    /// <summary>The clients' usage priced: what the key's spend must be when nothing was lost.</summary>
    public decimal ExpectedUsd => Served.Sum(o => o.InputTokens * InputPrice + o.OutputTokens * OutputPrice);

    public int ServerErrors => Outcomes.Count(o => o.Status >= 500);

    public int ConnectionFailures => Outcomes.Count(o => o.Status == 0);

    /// <summary>Requests unanswered by the client's deadline.</summary>
    public int Hangs => Outcomes.Count(o => o.Status == -1);

    /// <summary>Error responses whose body is not Anthropic's error shape.</summary>
    public IReadOnlyList<LoadOutcome> Unshaped => Outcomes.Where(o => o.ErrorType == SteadyLoad.NotAnthropicShaped).ToList();

    public override string ToString()
    {
        var statuses = string.Join(", ", Outcomes.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{Label(g.Key)}: {g.Count()}"));
        var errors = string.Join(", ", Outcomes.Where(o => o.ErrorType is not null).GroupBy(o => o.ErrorType).Select(g => $"{g.Key}: {g.Count()}"));
        return $"""
            [{Scenario}]
              sent {Outcomes.Count} ({statuses}){(errors.Length > 0 ? $"; error types {errors}" : "")}
              served {Served.Count}, audit rows {Ledger.Rows.Count} ({Ledger.ServedRows} served), charged {Ledger.ChargedRequests}
              lost rows {LostRows.Count}, extra rows {ExtraRows}, lost charges {LostCharges}
              spend ${Ledger.SpentUsd:0.########}, rows' cost ${Ledger.RowsCostUsd:0.########}, clients' usage priced ${ExpectedUsd:0.########}
              5xx {ServerErrors}, connection failures {ConnectionFailures}, hangs {Hangs}, bodies not Anthropic-shaped {Unshaped.Count}{Failures()}
            """;
    }

    /// <summary>The first few failures, with which front and when (seconds on the load's clock).</summary>
    private string Failures()
    {
        var failures = Outcomes.Where(o => !o.Served).OrderBy(o => o.Sent).Take(6)
            .Select(o => $"{Environment.NewLine}    front {o.Front} at {o.Sent.TotalSeconds:0.00}-{o.Finished.TotalSeconds:0.00} s: {Label(o.Status)} {o.ErrorType ?? o.Failure}");
        return string.Concat(failures);
    }

    private static string Label(int status) => status switch
    {
        0 => "connection failed",
        -1 => "no answer",
        _ => status.ToString(),
    };
}
