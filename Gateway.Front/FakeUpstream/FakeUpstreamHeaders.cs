namespace Gateway.Front.FakeUpstream;

/// <summary>Header names the fake reads or writes, in one place so tests and the server agree.</summary>
public static class FakeUpstreamHeaders
{
    /// <summary>Request header selecting a fault for this one request (forwarded by the gateway like any client header).</summary>
    public const string Fault = "x-fake-fault";

    public const string RequestId = "request-id";
    public const string RetryAfter = "retry-after";
    public const string ApiKey = "x-api-key";
    public const string Authorization = "Authorization";
}
