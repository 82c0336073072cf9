using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Gateway.Tests.Infrastructure;

/// <summary>What one client request of a <see cref="SteadyLoad"/> ended with, as the client saw it.</summary>
/// <param name="Status">HTTP status; 0 when the connection failed (refused, reset), -1 when the client's deadline passed.</param>
/// <param name="RequestId">The <c>request-id</c> header (the key of <c>request_log</c>), when a response came.</param>
/// <param name="ErrorType">The Anthropic error type of a non-2xx body; <c>"(not anthropic-shaped)"</c> when the body was not one.</param>
public sealed record LoadOutcome(int Front, TimeSpan Sent, TimeSpan Finished, int Status, string? RequestId, long InputTokens, long OutputTokens,
    string? ErrorType, string? Failure)
{
    public bool Served => Status == (int)HttpStatusCode.OK;
}

/// <summary>
/// Bounded, steady client traffic over loopback: a few workers, each sending small non-streaming
/// Messages requests one after another (with a short pause) to the fronts in turn, recording every
/// outcome with its time on <see cref="Clock"/>. A front whose connection fails is skipped by that
/// worker for a second (as a load balancer's passive health check would), so a dead front costs a
/// few failures, not half the traffic. Stops at <see cref="StopAsync"/>, after <c>maxDuration</c> or
/// after <c>maxRequests</c>, whichever comes first.
/// </summary>
public sealed class SteadyLoad : IAsyncDisposable
{
    public const string NotAnthropicShaped = "(not anthropic-shaped)";
    private static readonly TimeSpan SkipDeadFrontFor = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<Uri> _fronts;
    private readonly string _secret;
    private readonly TimeSpan _pause;
    private readonly TimeSpan _deadline;
    private readonly int _maxRequests;
    private readonly ConcurrentQueue<LoadOutcome> _outcomes = new();
    private readonly long[] _frontDownUntilTicks;
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _workers;
    private int _sent;

    private SteadyLoad(IReadOnlyList<Uri> fronts, string secret, int workers, TimeSpan pause, TimeSpan maxDuration, int maxRequests, TimeSpan deadline)
    {
        _fronts = fronts;
        _secret = secret;
        _pause = pause;
        _deadline = deadline;
        _maxRequests = maxRequests;
        _frontDownUntilTicks = new long[fronts.Count];
        _stop = new CancellationTokenSource(maxDuration);
        _workers = Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkAsync(w))).ToArray();
    }

    /// <summary>Time since the load started: outcomes and the test's own marks use this clock.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <param name="deadline">Client timeout per request: a request still unanswered then counts as a hang (status -1).</param>
    public static SteadyLoad Start(IReadOnlyList<Uri> fronts, string secret, int workers = 4, TimeSpan? pause = null,
        TimeSpan? maxDuration = null, int maxRequests = 50_000, TimeSpan? deadline = null) =>
        new(fronts, secret, workers, pause ?? TimeSpan.FromMilliseconds(15), maxDuration ?? TimeSpan.FromMinutes(2), maxRequests,
            deadline ?? TimeSpan.FromSeconds(30));

    public IReadOnlyList<LoadOutcome> Outcomes => _outcomes.ToArray();

    public int ServedCount => _outcomes.Count(o => o.Served);

    /// <summary>Waits until <paramref name="count"/> more requests have been served (bounded by <paramref name="timeout"/>).</summary>
    public async Task WaitForServedAsync(int count, TimeSpan timeout)
    {
        var target = ServedCount + count;
        var clock = Stopwatch.StartNew();
        while (ServedCount < target)
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"only {ServedCount - target + count} of {count} requests served within {timeout.TotalSeconds:0} s; " +
                    $"last outcomes: {string.Join("; ", Outcomes.TakeLast(5))}");
            }
            await Task.Delay(50);
        }
    }

    public async Task StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_workers);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task WorkAsync(int worker)
    {
        var clients = _fronts.Select(f => new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            BaseAddress = f,
            Timeout = _deadline,
        }).ToArray();
        foreach (var client in clients)
        {
            client.DefaultRequestHeaders.Add("x-api-key", _secret);
        }
        var turn = worker;
        try
        {
            while (!_stop.IsCancellationRequested && Interlocked.Increment(ref _sent) <= _maxRequests)
            {
                var front = NextFront(ref turn);
                await SendAsync(clients[front], front);
                try
                {
                    await Task.Delay(_pause, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private int NextFront(ref int turn)
    {
        var now = Clock.Elapsed.Ticks;
        for (var i = 0; i < _fronts.Count; i++)
        {
            var front = turn++ % _fronts.Count;
            if (Volatile.Read(ref _frontDownUntilTicks[front]) <= now)
            {
                return front;
            }
        }
        return turn++ % _fronts.Count;
    }

    private async Task SendAsync(HttpClient client, int front)
    {
        var sent = Clock.Elapsed;
        try
        {
            // Not cancelled by the stop: a request once sent is followed to its end, so its outcome is known.
            using var response = await client.PostAsync("v1/messages", Json.Body(Json.SmallRequest));
            var body = await response.Content.ReadAsStringAsync();
            var requestId = response.Headers.TryGetValues("request-id", out var ids) ? ids.FirstOrDefault() : null;
            long input = 0, output = 0;
            string? errorType = null;
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var usage = JsonDocument.Parse(body).RootElement.GetProperty("usage");
                input = usage.GetProperty("input_tokens").GetInt64();
                output = usage.GetProperty("output_tokens").GetInt64();
            }
            else
            {
                errorType = ErrorTypeOf(body);
            }
            _outcomes.Enqueue(new LoadOutcome(front, sent, Clock.Elapsed, (int)response.StatusCode, requestId, input, output, errorType, null));
        }
        catch (TaskCanceledException e)
        {
            _outcomes.Enqueue(new LoadOutcome(front, sent, Clock.Elapsed, -1, null, 0, 0, null, $"no answer within {_deadline.TotalSeconds:0} s: {e.Message}"));
        }
        catch (HttpRequestException e)
        {
            Volatile.Write(ref _frontDownUntilTicks[front], (Clock.Elapsed + SkipDeadFrontFor).Ticks);
            _outcomes.Enqueue(new LoadOutcome(front, sent, Clock.Elapsed, 0, null, 0, 0, null, e.InnerException?.Message ?? e.Message));
        }
    }

    private static string ErrorTypeOf(string body)
    {
        try
        {
            var root = JsonDocument.Parse(body).RootElement;
            return root.GetProperty("type").GetString() == "error" && root.GetProperty("error").GetProperty("type").GetString() is { Length: > 0 } type
                && root.GetProperty("error").GetProperty("message").GetString() is { Length: > 0 }
                ? type
                : NotAnthropicShaped;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return NotAnthropicShaped;
        }
    }
}
