using Gateway.Front.Errors;
using Gateway.Front.Metrics;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Admission;

/// <summary>Turns a denial into the answer a client understands: status, error type, back-off headers.</summary>
public static class AdmissionRejection
{
    public static string ReasonLabel(DenialReason reason) => reason switch
    {
        DenialReason.Requests => "rate_limit_requests",
        DenialReason.InputTokens => "rate_limit_input_tokens",
        DenialReason.OutputTokens => "rate_limit_output_tokens",
        DenialReason.DailyBudget => "budget_daily",
        DenialReason.MonthlyBudget => "budget_monthly",
        DenialReason.Revoked => "authentication",
        DenialReason.ConcurrentStreams => "concurrent_streams",
        _ => "session",
    };

    public static Task WriteAsync(HttpContext context, Admission admission)
    {
        var denial = admission.Denial!;
        FrontMetrics.Rejected(ReasonLabel(denial.Reason));
        if (denial.Reason == DenialReason.Revoked)
        {
            return GatewayError.WriteAsync(context, StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication, denial.Message);
        }
        // A spent budget does not come back in seconds: tell clients not to sleep and retry. Budget held by
        // requests still running does (its denial says so with a short retry-after).
        var transient = denial.Reason is not (DenialReason.DailyBudget or DenialReason.MonthlyBudget or DenialReason.SessionBudget or DenialReason.SessionRequests)
            || (denial.Reason is DenialReason.DailyBudget or DenialReason.MonthlyBudget && denial.RetryAfter <= TimeSpan.FromMinutes(1));
        var wait = denial.RetryAfter > TimeSpan.Zero ? denial.RetryAfter : TimeSpan.FromSeconds(1);
        return GatewayError.WriteAsync(context, StatusCodes.Status429TooManyRequests, AnthropicErrorTypes.RateLimit, denial.Message, wait,
            shouldRetry: transient, headers: h => RateLimitHeaders.Write(h, admission.Snapshot));
    }
}
