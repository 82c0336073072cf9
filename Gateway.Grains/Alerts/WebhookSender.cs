using System.Net.Http.Headers;
using System.Text;
using Gateway.Grains.Text;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Alerts;

/// <summary>The result of one POST: delivered (2xx), or the status or error that stopped it.</summary>
public readonly record struct WebhookResult(bool Delivered, int? Status, string? Error);

/// <summary>
/// Posts one payload, once. Retries are not here: they are durable rows in Postgres (<see cref="AlertDeliverer"/>),
/// so they survive a silo restart, are counted per crossing, and never hold a claimed row while waiting. That is
/// why the attempt is a plain <see cref="IHttpClientFactory"/> client and not a Microsoft.Extensions.Http.Resilience
/// pipeline: its retries and backoff would run inside one claim, invisible to the record, and its package (11.x
/// here) would pull newer Microsoft.Extensions.* than the rest of the build. The handler follows no redirects
/// (an allowed host could otherwise hand the request to one that is not) and keeps no cookies.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, IOptions<AlertOptions> options)
{
    public const string ClientName = "gateway-alerts";

    private const int MaxErrorLength = 500;

    /// <param name="deliveryId">Sent as <c>X-Gateway-Alert-Delivery</c>: the same for every attempt at one crossing, so a receiver can drop a repeat.</param>
    public async Task<WebhookResult> PostAsync(string url, string payload, long deliveryId, CancellationToken cancellationToken)
    {
        var timeout = options.Value.DeliveryTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(payload, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Gateway-Alert-Delivery", deliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var client = clients.CreateClient(ClientName);
            // Headers only: a receiver's body is not read (nor kept), and a slow one cannot hold the claim past the deadline.
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new WebhookResult(true, status, null)
                : new WebhookResult(false, status, $"HTTP {status}{Reason(response.ReasonPhrase)}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookResult(false, null, $"timed out after {timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e)
        {
            return new WebhookResult(false, null, BoundedText.Clean($"{e.HttpRequestError}: {e.Message}", MaxErrorLength));
        }
    }

    /// <summary>The handler every alert client uses.</summary>
    public static SocketsHttpHandler CreateHandler(AlertOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.DeliveryTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
    }

    /// <summary>Default request headers of the alert client.</summary>
    public static void Configure(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        // The per-attempt deadline is the delivery timeout; the client's own stays out of the way.
        client.Timeout = Timeout.InfiniteTimeSpan;
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("anthropic-gateway-alerts", "1"));
    }

    private static string Reason(string? phrase) =>
        string.IsNullOrEmpty(phrase) ? "" : " " + BoundedText.Clean(phrase, 100);
}
