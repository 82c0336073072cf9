using Gateway.Front.Identity;

namespace Gateway.Tests.Identity;

public sealed class IdentityOptionsValidatorTests
{
    private static IdentityIssuerOptions Issuer(string name = "corp") => new()
    {
        Name = name,
        Authority = "https://login.example.com/realms/corp",
        ClientId = "gateway",
        Teams = { ["eng"] = "platform" },
    };

    [Fact]
    public void No_issuer_means_the_feature_is_off_and_nothing_is_required()
    {
        Assert.True(new IdentityOptionsValidator().Validate(null, new IdentityOptions()).Succeeded);
    }

    [Fact]
    public void A_valid_configuration_passes()
    {
        var options = new IdentityOptions { SigningKey = new string('k', 32), Issuers = [Issuer("corp"), Issuer("partners")] };
        Assert.True(new IdentityOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Every_problem_is_reported_naming_its_setting()
    {
        var bad = Issuer("no good");
        bad.Authority = "http://login.example.com";
        bad.ClientId = "";
        bad.Scopes = "email";
        bad.Teams.Clear();
        bad.LeadGroups["platform-leads"] = " ";
        bad.UserLimits.RequestsPerMinute = -1;
        var options = new IdentityOptions
        {
            SigningKey = "short",
            TokenLifetime = TimeSpan.FromSeconds(5),
            Issuers = [bad, Issuer("corp"), Issuer("CORP")],
        };

        var result = new IdentityOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var errors = result.Failures!.ToList();
        Assert.Contains(errors, e => e.StartsWith("Identity:SigningKey", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Identity:TokenLifetime", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Identity:Issuers:0:Name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Identity:Issuers:0:Authority", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Identity:Issuers:0:ClientId", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Identity:Issuers:0:Scopes", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Identity:Issuers:0:Teams", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Identity:Issuers:0:LeadGroups:platform-leads", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Identity:Issuers:0:UserLimits", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Identity:Issuers:2:Name", StringComparison.Ordinal) && e.Contains("another issuer"));
    }

    [Fact]
    public void Plain_http_is_allowed_only_when_https_is_not_required()
    {
        var issuer = Issuer();
        issuer.Authority = "http://127.0.0.1:8080";
        issuer.RequireHttps = false;
        Assert.True(new IdentityOptionsValidator().Validate(null, new IdentityOptions { SigningKey = new string('k', 40), Issuers = [issuer] }).Succeeded);
    }
}
