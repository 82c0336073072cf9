using System.Net;
using System.Text.Json;

namespace Gateway.Tests.Identity;

/// <summary>The device flow through a front's /auth endpoints, approved as <c>login</c> on the test provider's pages.</summary>
internal static class GatewaySignIn
{
    public sealed record Answer(HttpStatusCode Status, JsonElement Body, string? OAuthError);

    /// <summary><paramref name="issuer"/>: which configured issuer to sign in with (needed when there are several).</summary>
    public static async Task<Answer> RunAsync(Uri front, string login, string? issuer = null)
    {
        using var http = new HttpClient { BaseAddress = front, Timeout = TimeSpan.FromSeconds(30) };
        using var started = await http.PostAsync("auth/device",
            new FormUrlEncodedContent(issuer is null ? [] : [new KeyValuePair<string, string>("issuer", issuer)]));
        var device = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement;
        if (started.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"/auth/device answered {(int)started.StatusCode}: {device}");
        }
        var deviceCode = device.GetProperty("device_code").GetString()!;

        // Before approval the provider says authorization_pending, passed through as a 400.
        var pending = await PollAsync(http, deviceCode);
        if (pending.Status != HttpStatusCode.BadRequest || pending.OAuthError != "authorization_pending")
        {
            throw new InvalidOperationException($"expected authorization_pending, got {(int)pending.Status} {pending.OAuthError}: {pending.Body}");
        }
        await DeviceApproval.ApproveAsync(new Uri(device.GetProperty("verification_uri_complete").GetString()!), login);
        // The provider's interval (5 s) applies between polls; the first after approval succeeds or refuses for good.
        await Task.Delay(TimeSpan.FromSeconds(5));
        return await PollAsync(http, deviceCode);
    }

    public static async Task<Answer> PollAsync(HttpClient http, string deviceCode)
    {
        using var response = await http.PostAsync("auth/token", new FormUrlEncodedContent([new("device_code", deviceCode)]));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return new Answer(response.StatusCode, body,
            response.Headers.TryGetValues("x-oauth-error", out var error) ? error.First() : null);
    }
}
