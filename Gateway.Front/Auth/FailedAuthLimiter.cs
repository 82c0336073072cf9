using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Auth;

/// <summary>
/// Counts failed key lookups (a hash the cluster does not know, not one this front already remembers as
/// unknown) per client address in fixed windows; an address past
/// <see cref="UnknownKeyOptions.FailuresPerAddress"/> is refused before any grain call until its window
/// ends, except for keys this front has seen work. IPv6 addresses count by /64 (one host holds a whole /64). At most
/// <see cref="UnknownKeyOptions.MaxTrackedAddresses"/> addresses are tracked; past that, new ones share
/// one count, so memory is bounded and a scan spread over addresses is still limited.
/// </summary>
public sealed class FailedAuthLimiter(IOptions<UnknownKeyOptions> options, TimeProvider time)
{
    /// <summary>Where addresses go once the table is full (and requests without a peer address).</summary>
    private static readonly IPAddress Overflow = IPAddress.IPv6None;

    private readonly UnknownKeyOptions _options = options.Value;
    private readonly ConcurrentDictionary<IPAddress, Window> _windows = new();
    private int _count;
    private long _lastSweepTicks;

    public bool Enabled => _options.FailuresPerAddress > 0;

    /// <summary>Addresses counted now (for tests and bounds).</summary>
    public int TrackedAddresses => Volatile.Read(ref _count);

    /// <summary>True, with the time left, while <paramref name="address"/> has used up its failures.</summary>
    public bool IsLimited(IPAddress? address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!Enabled)
        {
            return false;
        }
        // An address not tracked counts with the overflow once the table is full.
        if (!_windows.TryGetValue(Normalize(address), out var window)
            && (Count() < _options.MaxTrackedAddresses || !_windows.TryGetValue(Overflow, out window)))
        {
            return false;
        }
        var now = time.GetUtcNow();
        lock (window)
        {
            var ends = window.Start + _options.FailureWindow;
            if (window.Failures < _options.FailuresPerAddress || now >= ends)
            {
                return false;
            }
            retryAfter = ends - now;
            return true;
        }
    }

    public void RecordFailure(IPAddress? address)
    {
        if (!Enabled)
        {
            return;
        }
        var now = time.GetUtcNow();
        var key = Normalize(address);
        if (!_windows.TryGetValue(key, out var window))
        {
            if (Count() >= _options.MaxTrackedAddresses)
            {
                // At most one sweep a second: a full table of live windows must not make every failure O(n).
                var last = Interlocked.Read(ref _lastSweepTicks);
                if (now.UtcTicks - last > TimeSpan.TicksPerSecond
                    && Interlocked.CompareExchange(ref _lastSweepTicks, now.UtcTicks, last) == last)
                {
                    Sweep();
                }
                if (Count() >= _options.MaxTrackedAddresses)
                {
                    key = Overflow;
                }
            }
            var fresh = new Window(now);
            while (!_windows.TryGetValue(key, out window))
            {
                if (_windows.TryAdd(key, fresh))
                {
                    Interlocked.Increment(ref _count);
                    window = fresh;
                    break;
                }
            }
        }
        lock (window)
        {
            if (now >= window.Start + _options.FailureWindow)
            {
                window.Start = now;
                window.Failures = 0;
            }
            window.Failures++;
        }
    }

    /// <summary>Forgets addresses whose window has ended.</summary>
    public void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (address, window) in _windows)
        {
            bool ended;
            lock (window)
            {
                ended = now >= window.Start + _options.FailureWindow;
            }
            if (ended && _windows.TryRemove(new KeyValuePair<IPAddress, Window>(address, window)))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }

    private int Count() => Volatile.Read(ref _count);

    /// <summary>IPv4-mapped IPv6 as IPv4; other IPv6 cut to its /64.</summary>
    internal static IPAddress Normalize(IPAddress? address)
    {
        if (address is null)
        {
            return Overflow;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    private sealed class Window(DateTimeOffset start)
    {
        public DateTimeOffset Start = start;
        public int Failures;
    }
}
