using Prometheus;

namespace Gateway.Front.Metrics;

/// <summary>
/// One request counted in <c>gateway_requests_in_flight{endpoint}</c> from
/// <see cref="FrontMetrics.InFlight"/> until <see cref="Dispose"/>. A struct so the request path counts
/// without allocating; dispose it exactly once (a copy disposed as well would count the request out twice).
/// </summary>
public readonly struct InFlightRequest : IDisposable
{
    private readonly Gauge.Child? _series;

    internal InFlightRequest(Gauge.Child series)
    {
        _series = series;
        series.Inc();
    }

    public void Dispose() => _series?.Dec();
}
