using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Prometheus;

namespace Gateway.Grains.Metrics;

/// <summary>
/// Exports System.Diagnostics.Metrics up-down counters (active requests, connections, grains by type) as
/// prometheus-net gauges that never expire. prometheus-net's MeterAdapter keeps a series for at most a day
/// without change, then drops it; the next change would start again from 0 and the gauge would be wrong
/// (negative) from then on. Names follow the MeterAdapter's: <c>{meter}_{instrument}</c>, lowercased, other
/// characters as <c>_</c>; tags become labels in key order. At most <see cref="MaxSeriesPerInstrument"/> label
/// sets per instrument; measurements past that are dropped.
/// </summary>
internal sealed class UpDownCounterBridge : IDisposable
{
    public const int MaxSeriesPerInstrument = 1000;

    private readonly MeterListener _listener = new();
    private readonly Func<Instrument, bool> _include;
    private readonly ConcurrentDictionary<(Instrument Instrument, string Tags), Gauge.Child?> _series = new();
    private readonly ConcurrentDictionary<Instrument, int> _seriesCount = new();
    // Per instrument, the tag sets seen so far with their gauge: Kestrel's and Hosting's up-down counters are
    // recorded twice per request, and a scan of a few small arrays costs no allocation where building the
    // string key did (a few hundred bytes a request, found by the allocation profile in docs/performance.md).
    private readonly ConcurrentDictionary<Instrument, Seen[]> _seen = new();

    private sealed record Seen(KeyValuePair<string, object?>[] Tags, Gauge.Child? Child);

    public UpDownCounterBridge(Func<Instrument, bool> include)
    {
        _include = include;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (IsUpDownCounter(instrument) && _include(instrument))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<long>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<short>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<byte>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<float>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<double>((i, m, t, _) => Record(i, m, t));
        _listener.SetMeasurementEventCallback<decimal>((i, m, t, _) => Record(i, (double)m, t));
        _listener.Start();
    }

    public static bool IsUpDownCounter(Instrument instrument)
    {
        var type = instrument.GetType();
        return type.IsGenericType && type.GetGenericTypeDefinition() == typeof(UpDownCounter<>);
    }

    /// <summary>The Prometheus name of a meter's instrument or a tag, as prometheus-net's MeterAdapter makes it.</summary>
    public static string PrometheusName(string name)
    {
        var text = new StringBuilder(name.Length + 1);
        foreach (var raw in name)
        {
            var c = char.ToLowerInvariant(raw);
            var allowed = c is (>= 'a' and <= 'z') or '_' || (text.Length > 0 && c is >= '0' and <= '9');
            if (text.Length == 0 && !allowed)
            {
                text.Append('_');
                text.Append(c is >= '0' and <= '9' ? c : '_');
                continue;
            }
            text.Append(allowed ? c : '_');
        }
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        try
        {
            if (_seen.TryGetValue(instrument, out var seen))
            {
                foreach (var entry in seen)
                {
                    if (SameTags(entry.Tags, tags))
                    {
                        entry.Child?.Inc(value);
                        return;
                    }
                }
            }
            var sorted = tags.ToArray();
            Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
            var key = new StringBuilder();
            foreach (var tag in sorted)
            {
                key.Append(tag.Key).Append('\u0001').Append(tag.Value?.ToString()).Append('\u0002');
            }
            var child = _series.GetOrAdd((instrument, key.ToString()), _ => Create(instrument, sorted));
            child?.Inc(value);
            if (seen is null || (seen.Length < MaxSeriesPerInstrument && !seen.Any(e => ReferenceEquals(e.Child, child))))
            {
                // A lost race only costs a later record the slow path again.
                _seen[instrument] = [.. seen ?? [], new Seen(sorted, child)];
            }
        }
        catch (Exception)
        {
            // A metric must never fail the code that records it.
        }
    }

    /// <summary>The same tag names and values, in any order (tag sets are a handful of entries).</summary>
    private static bool SameTags(KeyValuePair<string, object?>[] known, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (known.Length != tags.Length)
        {
            return false;
        }
        foreach (var tag in tags)
        {
            var found = false;
            foreach (var k in known)
            {
                if (string.Equals(k.Key, tag.Key, StringComparison.Ordinal))
                {
                    found = Equals(k.Value, tag.Value);
                    break;
                }
            }
            if (!found)
            {
                return false;
            }
        }
        return true;
    }

    private Gauge.Child? Create(Instrument instrument, KeyValuePair<string, object?>[] sorted)
    {
        if (_seriesCount.AddOrUpdate(instrument, 1, (_, n) => n + 1) > MaxSeriesPerInstrument)
        {
            return null;
        }
        var help = (string.IsNullOrWhiteSpace(instrument.Unit) ? "" : $"({instrument.Unit}) ")
            + instrument.Description + $" ({instrument.GetType().Name})";
        try
        {
            var gauge = Prometheus.Metrics.CreateGauge(PrometheusName($"{instrument.Meter.Name}_{instrument.Name}"), help,
                sorted.Select(t => PrometheusName(t.Key)).ToArray());
            return gauge.WithLabels(sorted.Select(t => t.Value?.ToString() ?? "").ToArray());
        }
        catch (Exception)
        {
            // Another tag set for the same instrument (different label names): not exported.
            return null;
        }
    }
}
