using System.Net;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Grains.Hosting;

/// <summary>Every rule for <see cref="GatewayClusterOptions"/> in one place; each failure names its key.</summary>
public sealed class GatewayClusterOptionsValidator : IValidateOptions<GatewayClusterOptions>
{
    private const string S = GatewayClusterOptions.Section;

    public ValidateOptionsResult Validate(string? name, GatewayClusterOptions o)
    {
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(o.ClusterId))
        {
            failures.Add($"{S}:ClusterId must not be empty.");
        }
        if (string.IsNullOrWhiteSpace(o.ServiceId))
        {
            failures.Add($"{S}:ServiceId must not be empty.");
        }
        if (o.UsesRedis)
        {
            try
            {
                ConfigurationOptions.Parse(o.RedisConnectionString);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or NotSupportedException)
            {
                // The message of the parser, never the string itself: it may hold a password.
                failures.Add($"{S}:RedisConnectionString is not a valid StackExchange.Redis configuration string: {e.Message}");
            }
        }
        if (o.RedisDatabase < 0)
        {
            failures.Add($"{S}:RedisDatabase must be 0 or more, got {o.RedisDatabase}.");
        }
        CheckPort(failures, "SiloPort", o.SiloPort);
        CheckPort(failures, "GatewayPort", o.GatewayPort);
        if (o.SiloPort == o.GatewayPort)
        {
            failures.Add($"{S}:SiloPort and {S}:GatewayPort must differ, both are {o.SiloPort}.");
        }
        if (!string.IsNullOrWhiteSpace(o.AdvertisedIPAddress) && !IPAddress.TryParse(o.AdvertisedIPAddress.Trim(), out _))
        {
            failures.Add($"{S}:AdvertisedIPAddress must be an IP address (Kubernetes: the pod IP), got '{o.AdvertisedIPAddress}'.");
        }
        CheckPositive(failures, "ShutdownTimeout", o.ShutdownTimeout);
        CheckPositive(failures, "GatewayListRefreshPeriod", o.GatewayListRefreshPeriod);
        if (o.RedisEntryExpiry is { } expiry)
        {
            CheckPositive(failures, "RedisEntryExpiry", expiry);
        }
        if (!Enum.IsDefined(o.Mode))
        {
            failures.Add($"{S}:Mode must be Auto, Client or Embedded, got '{o.Mode}'.");
        }

        var m = o.Membership ?? new GatewayMembershipOptions();
        CheckPositive(failures, "Membership:ProbeTimeout", m.ProbeTimeout);
        CheckPositive(failures, "Membership:IAmAliveTablePublishTimeout", m.IAmAliveTablePublishTimeout);
        CheckPositive(failures, "Membership:TableRefreshTimeout", m.TableRefreshTimeout);
        CheckPositive(failures, "Membership:DefunctSiloExpiration", m.DefunctSiloExpiration);
        CheckPositive(failures, "Membership:DefunctSiloCleanupPeriod", m.DefunctSiloCleanupPeriod);
        if (m.NumMissedProbesLimit is < 1)
        {
            failures.Add($"{S}:Membership:NumMissedProbesLimit must be 1 or more, got {m.NumMissedProbesLimit}.");
        }
        if (m.NumVotesForDeathDeclaration is < 1)
        {
            failures.Add($"{S}:Membership:NumVotesForDeathDeclaration must be 1 or more, got {m.NumVotesForDeathDeclaration}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckPort(List<string> failures, string key, int port)
    {
        if (port is < 1 or > 65535)
        {
            failures.Add($"{S}:{key} must be a TCP port between 1 and 65535, got {port}.");
        }
    }

    private static void CheckPositive(List<string> failures, string key, TimeSpan? value)
    {
        if (value is { } v && v <= TimeSpan.Zero)
        {
            failures.Add($"{S}:{key} must be a positive duration (hh:mm:ss), got {v}.");
        }
    }
}
