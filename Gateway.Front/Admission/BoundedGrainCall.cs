namespace Gateway.Front.Admission;

/// <summary>
/// A grain call on the request path, bounded: each try waits at most <see cref="AdmissionOptions.GrainCallTimeout"/>
/// (a call to a silo that was just killed would otherwise wait for Orleans' 30 s response timeout), and a
/// failed try is repeated after a short pause, up to <see cref="AdmissionOptions.GrainCallAttempts"/>, since
/// Orleans re-activates the grain elsewhere on the next call. The last failure is thrown.
/// </summary>
public static class BoundedGrainCall
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, AdmissionOptions options)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call().WaitAsync(options.GrainCallTimeout);
            }
            catch (Exception) when (attempt < options.GrainCallAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt));
            }
        }
    }
}
