using System.Net;

namespace Gateway.Front.Forwarding;

/// <summary>Which upstream answers are worth another attempt before the first byte reaches the client.</summary>
internal static class RetryPolicy
{
    public const int Overloaded = 529;

    public static bool IsRetryableStatus(HttpStatusCode status) => (int)status is 500 or 502 or 503 or 504 or Overloaded;
}
