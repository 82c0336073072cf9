namespace Gateway.Front.Admission;

/// <summary>How a front admits against leases. Section <c>Admission</c>.</summary>
public sealed class AdmissionOptions
{
    public const string Section = "Admission";

    /// <summary>How long a lease is used after it was requested (≤ the grain's lease duration).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Output tokens reserved per request: <c>min(max_tokens, this)</c>.</summary>
    public long OutputReservationCap { get; set; } = 4096;

    /// <summary>Bytes of request body per estimated input token (JSON, tool schemas and text average about 4).</summary>
    public double BytesPerInputToken { get; set; } = 4;

    /// <summary>
    /// Input tokens a budget's worst case counts for a request that pulls in input its body does not hold
    /// (documents by URL or file, MCP servers, server tools; <see cref="ExternalInputScan"/>): about a
    /// whole context window, since nothing in the request bounds it below that.
    /// </summary>
    public long ExternalInputTokens { get; set; } = 200_000;

    /// <summary>Attempts at a grain call before the front answers 503 (a silo may be moving grains).</summary>
    public int GrainCallAttempts { get; set; } = 4;

    /// <summary>
    /// How long one grain call may take. A call to a silo that was just killed waits for Orleans'
    /// response timeout (30 s) otherwise; this fails it fast and the retry reaches the new activation.
    /// </summary>
    public TimeSpan GrainCallTimeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// How long a front decides a session's limits from the counts its grain last gave (plus its own
    /// settlements) before asking again; zero: ask on every request. It bounds how far several fronts
    /// together can take a session past its limits (<see cref="SessionCheck"/>).
    /// </summary>
    public TimeSpan SessionCheckInterval { get; set; } = TimeSpan.FromSeconds(1);
}
