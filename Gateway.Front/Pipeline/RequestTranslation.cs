using Gateway.Front.Envelope;

namespace Gateway.Front.Pipeline;

/// <summary>
/// Turns a request body of another surface (Chat Completions) into a Messages body; null once it has written
/// its own error. The pipeline disposes the original body either way.
/// </summary>
public delegate ValueTask<RequestBody?> RequestTranslation(HttpContext context, RequestBody body);
