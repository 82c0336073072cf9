using System.Diagnostics;

namespace Gateway.Tests.Hosting;

internal static class Eventually
{
    /// <summary>
    /// Polls <paramref name="condition"/> until it holds (exceptions count as "not yet") and returns how
    /// long that took; fails with <paramref name="what"/>, the last error and <paramref name="context"/> if it never does.
    /// </summary>
    public static async Task<TimeSpan> HoldsAsync(string what, Func<Task<bool>> condition, TimeSpan timeout, Func<string>? context = null)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < timeout)
        {
            try
            {
                if (await condition())
                {
                    return clock.Elapsed;
                }
                last = null;
            }
            catch (Exception e)
            {
                last = e;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"Not within {timeout.TotalSeconds:0} s: {what}.{(last is null ? "" : $" Last error: {last.GetType().Name}: {last.Message}")}{Environment.NewLine}{context?.Invoke()}");
        return clock.Elapsed;
    }
}
