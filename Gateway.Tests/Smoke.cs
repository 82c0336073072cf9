namespace Gateway.Tests; public class SmokeTests { [Fact] public void True() => Assert.True(true); }
