using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Deploy;

/// <summary>
/// The production values example in <c>docs/kubernetes.md</c> installs what it says: rendered as printed, every
/// object is valid against the Kubernetes schemas, every gateway pod (fronts, silos, migrations Job) gets the
/// Postgres CA and PGSSLROOTCERT, runs as a ServiceAccount carrying the workload-identity annotation, and fronts
/// and silos spread over zones without ever stacking one zone.
/// </summary>
[Trait(TestSuites.Category, TestSuites.Slow)]
public sealed partial class ProductionValuesDocsTests
{
    [Fact]
    public async Task Docs_production_values_render_valid_objects_with_CA_identity_and_zone_spread()
    {
        var docs = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "docs", "kubernetes.md"));
        var example = YamlBlock().Matches(docs).Select(m => m.Groups[1].Value).Single(b => b.StartsWith("# production-values.yaml", StringComparison.Ordinal));
        var file = Path.Combine(Directory.CreateTempSubdirectory("gateway-docs-").FullName, "production-values.yaml");
        await File.WriteAllTextAsync(file, example);
        try
        {
            var chart = await DeployTools.RenderValidAsync("gateway", [file]);
            var pods = chart.OfKind("Deployment").Concat(chart.OfKind("Job"))
                .ToDictionary(RenderedChart.Name, o => o.GetProperty("spec").GetProperty("template").GetProperty("spec"));
            Assert.Equal(["gateway-front", "gateway-migrations", "gateway-silo"], pods.Keys.Order(StringComparer.Ordinal));

            foreach (var (name, pod) in pods)
            {
                var account = chart.Get("ServiceAccount", pod.GetProperty("serviceAccountName").GetString()!);
                Assert.Equal("arn:aws:iam::111122223333:role/gateway",
                    account.GetProperty("metadata").GetProperty("annotations").GetProperty("eks.amazonaws.com/role-arn").GetString());

                Assert.Contains(pod.GetProperty("volumes").EnumerateArray(),
                    v => v.GetProperty("name").GetString() == "postgres-ca" && v.GetProperty("configMap").GetProperty("name").GetString() == "postgres-ca");
                var container = pod.GetProperty("containers").EnumerateArray().Single();
                Assert.Contains(container.GetProperty("volumeMounts").EnumerateArray(),
                    m => m.GetProperty("mountPath").GetString() == "/etc/postgres-ca" && m.GetProperty("readOnly").GetBoolean());
                Assert.Contains(container.GetProperty("env").EnumerateArray(),
                    e => e.GetProperty("name").GetString() == "PGSSLROOTCERT" && e.GetProperty("value").GetString() == "/etc/postgres-ca/ca.crt");
            }

            foreach (var name in new[] { "gateway-front", "gateway-silo" })
            {
                var zone = pods[name].GetProperty("topologySpreadConstraints").EnumerateArray()
                    .Single(c => c.GetProperty("topologyKey").GetString() == "topology.kubernetes.io/zone");
                Assert.Equal("DoNotSchedule", zone.GetProperty("whenUnsatisfiable").GetString());
                Assert.Equal(1, zone.GetProperty("maxSkew").GetInt32());
                Assert.Equal(JsonValueKind.Object, zone.GetProperty("labelSelector").ValueKind);
            }
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [GeneratedRegex(@"```yaml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();
}
