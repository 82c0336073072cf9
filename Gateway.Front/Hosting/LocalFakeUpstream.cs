namespace Gateway.Front.Hosting;

/// <summary>Whether this front serves the fake upstream itself: a local run with no upstream configured.</summary>
internal static class LocalFakeUpstream
{
    /// <summary>Registers <c>EmbeddedFakeUpstream</c> in the Development environment of a Debug build; returns whether it did.</summary>
    public static bool AddIfLocalRun(WebApplicationBuilder builder)
    {
#if EMBEDDED_FAKE_UPSTREAM
        // Only Debug builds reference Gateway.FakeUpstream (Gateway.Front.csproj), so no Release build or image can
        // answer fake 200s; only Development embeds it, so any other front without an upstream fails at start.
        if (builder.Environment.IsDevelopment())
        {
            builder.Services.AddHostedService<EmbeddedFakeUpstream>();
            return true;
        }
#endif
        return false;
    }
}
