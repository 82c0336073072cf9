using Gateway.Front.Batches;

namespace Gateway.Tests.Batches;

public sealed class BatchOptionsTests
{
    [Fact]
    public void The_defaults_are_valid_and_each_bad_setting_is_named()
    {
        var validator = new BatchOptionsValidator();
        Assert.True(validator.Validate(null, new BatchOptions()).Succeeded);
        Assert.Contains("PriceMultiplier", validator.Validate(null, new BatchOptions { PriceMultiplier = 2 }).FailureMessage);
        Assert.Contains("PriceMultiplier", validator.Validate(null, new BatchOptions { PriceMultiplier = 0 }).FailureMessage);
        Assert.Contains("MaxRequests", validator.Validate(null, new BatchOptions { MaxRequests = 100_001 }).FailureMessage);
        Assert.Contains("SweepInterval", validator.Validate(null, new BatchOptions { SweepInterval = TimeSpan.Zero }).FailureMessage);
        Assert.Contains("SweepBatchSize", validator.Validate(null, new BatchOptions { SweepBatchSize = 0 }).FailureMessage);
    }
}
