namespace Gateway.Front.Pipeline;

/// <summary>
/// What differs between the endpoints that run the <see cref="MessagesPipeline"/>; each endpoint declares one
/// as a static instance.
/// </summary>
/// <param name="Name">The <c>endpoint</c> of the request's audit row and metrics.</param>
/// <param name="ReservesTokens">
/// True for a Messages call: cache breakpoints may be added, tokens and worst-case cost are reserved and
/// charged, and the response speaks for the upstream key's Messages limits. False for count_tokens: one
/// request of the key's bucket, never rewritten or charged.
/// </param>
/// <param name="Translate">Turns another surface's body into a Messages one first; null for Messages bodies.</param>
public sealed record PipelineEndpoint(string Name, bool ReservesTokens, RequestTranslation? Translate = null);
