namespace Gateway.Front.Envelope;

/// <summary>
/// The largest request body the Messages pipeline reads (Gateway:MaxRequestBodyBytes), handed over as a value
/// so the pipeline needs nothing from hosting.
/// </summary>
public sealed record RequestBodyLimit(long MaxBytes);
