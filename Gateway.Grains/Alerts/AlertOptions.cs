namespace Gateway.Grains.Alerts;

/// <summary>Budget alerts: evaluation, webhook delivery and which webhook hosts rules may name. Section <c>Alerts</c>.</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>Evaluate and deliver on this silo (every silo may: crossings are recorded once, deliveries claimed once).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often spend is read against every rule and due deliveries are sent.</summary>
    public TimeSpan EvaluateInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Hosts a webhook URL may name: exact names (<c>hooks.slack.com</c>) or a leading wildcard
    /// (<c>*.example.com</c>, any subdomain). Empty: any host (rules are admin input). Checked when a rule is
    /// saved and again before every send, so tightening it stops sends to hosts no longer allowed.
    /// </summary>
    public string[] AllowedWebhookHosts { get; set; } = [];

    /// <summary>How long one attempt may take, connecting included.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait after the first failed attempt; it doubles per attempt up to <see cref="RetryMaxDelay"/> (±20 % jitter).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A crossing not delivered this long after it happened is abandoned (recorded, never sent).</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How many due deliveries one sender claims (and sends concurrently) at a time.</summary>
    public int DeliveryBatchSize { get; set; } = 20;
}
