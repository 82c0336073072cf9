using System.Text.Json;

namespace Gateway.Tests.Deploy;

/// <summary>Reading pod templates out of rendered Deployments and Jobs.</summary>
internal static class Workloads
{
    public static JsonElement PodSpec(JsonElement workload) =>
        workload.GetProperty("spec").GetProperty("template").GetProperty("spec");

    public static JsonElement PodMetadata(JsonElement workload) =>
        workload.GetProperty("spec").GetProperty("template").GetProperty("metadata");

    public static JsonElement Container(JsonElement workload) => PodSpec(workload).GetProperty("containers")[0];

    /// <summary>The container's env entries by name (last one wins, as in Kubernetes).</summary>
    public static Dictionary<string, JsonElement> Env(JsonElement workload)
    {
        var env = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (Container(workload).TryGetProperty("env", out var list))
        {
            foreach (var entry in list.EnumerateArray())
            {
                env[entry.GetProperty("name").GetString()!] = entry;
            }
        }
        return env;
    }

    /// <summary>Names of the items of an array property of the pod spec (volumes, initContainers...); empty when absent.</summary>
    public static List<string> Names(JsonElement parent, string property) =>
        parent.TryGetProperty(property, out var list)
            ? list.EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToList()
            : [];

    public static string? Label(JsonElement metadata, string key) =>
        metadata.TryGetProperty("labels", out var labels) && labels.TryGetProperty(key, out var value) ? value.GetString() : null;

    public static string? Annotation(JsonElement metadata, string key) =>
        metadata.TryGetProperty("annotations", out var annotations) && annotations.TryGetProperty(key, out var value) ? value.GetString() : null;

    /// <summary>The gateway's own pods: fronts, silos and the migrations Job.</summary>
    public static IEnumerable<JsonElement> GatewayPods(RenderedChart chart, string release = "gw") =>
        [chart.Get("Deployment", $"{release}-gateway-front"), chart.Get("Deployment", $"{release}-gateway-silo"), chart.Get("Job", $"{release}-gateway-migrations")];
}
