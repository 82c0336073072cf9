using Gateway.Front.Upstreams;

namespace Gateway.Tests.Security;

/// <summary>An upstream key printed anywhere (a log template, an exception, a debugger) shows its id, never the secret.</summary>
public sealed class UpstreamCredentialTests
{
    [Fact]
    public void Its_text_names_the_id_and_hides_the_secret()
    {
        const string secret = "sk-ant-api03-very-secret-upstream-key";
        var credential = UpstreamCredential.From(secret);

        var text = credential.ToString();
        var interpolated = $"using {credential} and {new[] { credential }.Single()}";

        Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain("very-secret", interpolated);
        Assert.Contains(credential.Id, text);
        Assert.StartsWith("UpstreamCredential {", text);
        Assert.Equal(secret, credential.Secret); // still there for the transformer
        Assert.Equal(credential, UpstreamCredential.From(secret)); // equality unchanged
    }
}
