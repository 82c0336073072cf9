using Gateway.Grains.Alerts;
using Microsoft.Extensions.Options;

namespace Gateway.Tests.Alerts;

/// <summary>Webhook URLs are admin input, still bounded: http(s), a length cap, no credentials, the optional host allow-list.</summary>
public sealed class WebhookUrlPolicyTests
{
    [Theory]
    [InlineData("https://hooks.slack.com/services/T000/B000/XXXX")]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("https://[::1]:9/x?y=1")]
    public void Http_and_https_urls_pass_without_an_allow_list(string url)
    {
        Assert.Null(WebhookUrlPolicy.Problem(url, []));
    }

    [Theory]
    [InlineData("", "http or https")]
    [InlineData("ftp://example.com/x", "http or https")]
    [InlineData("file:///etc/passwd", "http or https")]
    [InlineData("javascript:alert(1)", "http or https")]
    [InlineData("/relative/path", "http or https")]
    [InlineData("https://user:secret@example.com/x", "credentials")]
    [InlineData("https://example.com/a b", "spaces")]
    [InlineData("https://example.com/\u0000", "control")]
    public void Other_urls_are_refused_saying_why(string url, string why)
    {
        Assert.Contains(why, WebhookUrlPolicy.Problem(url, []), StringComparison.Ordinal);
    }

    [Fact]
    public void A_url_longer_than_the_cap_is_refused()
    {
        var url = "https://example.com/" + new string('a', WebhookUrlPolicy.MaxLength);
        Assert.Contains("at most 2048", WebhookUrlPolicy.Problem(url, []), StringComparison.Ordinal);
    }

    [Fact]
    public void With_an_allow_list_only_its_hosts_and_subdomains_of_wildcards_pass()
    {
        string[] allowed = ["hooks.slack.com", "*.example.com"];
        Assert.Null(WebhookUrlPolicy.Problem("https://HOOKS.slack.com/services/x", allowed));
        Assert.Null(WebhookUrlPolicy.Problem("https://alerts.example.com/x", allowed));
        Assert.Null(WebhookUrlPolicy.Problem("https://a.b.example.com/x", allowed));
        Assert.Contains("AllowedWebhookHosts", WebhookUrlPolicy.Problem("https://example.com/x", allowed), StringComparison.Ordinal);
        Assert.Contains("AllowedWebhookHosts", WebhookUrlPolicy.Problem("https://evilexample.com/x", allowed), StringComparison.Ordinal);
        Assert.Contains("AllowedWebhookHosts", WebhookUrlPolicy.Problem("https://hooks.slack.com.evil.io/x", allowed), StringComparison.Ordinal);
        Assert.Contains("AllowedWebhookHosts", WebhookUrlPolicy.Problem("http://169.254.169.254/latest/meta-data", allowed), StringComparison.Ordinal);
    }

    [Fact]
    public void Options_name_every_bad_setting_at_start()
    {
        var result = new AlertOptionsValidator().Validate(null, new AlertOptions
        {
            EvaluateInterval = TimeSpan.Zero,
            DeliveryTimeout = TimeSpan.FromMinutes(5),
            DeliveryBatchSize = 0,
            AllowedWebhookHosts = ["hooks.slack.com", "https://x.example.com", "*.ok.example.com", "a*b.com"],
        });
        Assert.True(result.Failed);
        var message = result.FailureMessage;
        Assert.Contains("Alerts:EvaluateInterval", message, StringComparison.Ordinal);
        Assert.Contains("Alerts:DeliveryTimeout", message, StringComparison.Ordinal);
        Assert.Contains("Alerts:DeliveryBatchSize", message, StringComparison.Ordinal);
        Assert.Contains("Alerts:AllowedWebhookHosts:1", message, StringComparison.Ordinal);
        Assert.Contains("Alerts:AllowedWebhookHosts:3", message, StringComparison.Ordinal);
        Assert.DoesNotContain("AllowedWebhookHosts:0", message, StringComparison.Ordinal);
        Assert.DoesNotContain("AllowedWebhookHosts:2", message, StringComparison.Ordinal);
        Assert.Equal(ValidateOptionsResult.Success, new AlertOptionsValidator().Validate(null, new AlertOptions()));
    }
}
