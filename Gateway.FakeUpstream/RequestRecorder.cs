using Microsoft.AspNetCore.Http.Features;

namespace Gateway.FakeUpstream;

/// <summary>
/// Bounded, thread-safe log of received requests. A ring (oldest dropped first) because benchmarks
/// send millions of requests; a plain lock is enough since the critical section is a queue push.
/// </summary>
internal sealed class RequestRecorder
{
    private readonly Queue<RecordedRequest> _items = new();
    private readonly Lock _gate = new();

    public void Record(HttpContext ctx, byte[] body, DateTimeOffset at, int capacity)
    {
        if (capacity <= 0)
        {
            return;
        }

        var request = ctx.Request;
        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = values.Count == 1 ? values[0] ?? "" : string.Join(", ", values.ToArray());
        }

        // RawTarget is the request line exactly as sent: Path would be decoded and lose e.g. %2F.
        var target = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
        {
            target = request.Path.Value + request.QueryString.Value;
        }

        var recorded = new RecordedRequest(request.Method, target, headers, body, at);
        lock (_gate)
        {
            _items.Enqueue(recorded);
            while (_items.Count > capacity)
            {
                _items.Dequeue();
            }
        }
    }

    public RecordedRequest[] Snapshot()
    {
        lock (_gate)
        {
            return _items.ToArray();
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _items.Clear();
        }
    }
}
