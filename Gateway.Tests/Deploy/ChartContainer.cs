using System.Globalization;
using System.Text.Json;

namespace Gateway.Tests.Deploy;

/// <summary>
/// One container of a rendered workload (Deployment or Job), as Kubernetes would run it: image,
/// command and args, the environment with every configMap/secret reference resolved from the same
/// rendering, user, read-only root, emptyDir mounts, grace period and preStop. <see cref="RunArguments"/>
/// turns it into <c>podman run</c> arguments, so a container test runs exactly what the chart gives.
/// </summary>
internal sealed record ChartContainer(
    string Workload,
    string Image,
    IReadOnlyList<string> Command,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Env,
    long RunAsUser,
    long RunAsGroup,
    bool ReadOnlyRootFilesystem,
    bool NoNewPrivileges,
    IReadOnlyList<string> DropCapabilities,
    IReadOnlyList<(string Path, string? SizeLimit)> EmptyDirMounts,
    int TerminationGracePeriodSeconds,
    int PreStopSleepSeconds,
    int? HttpPort,
    string? ReadinessPath)
{
    /// <summary>Downward-API values a pod would get; on the host network the pod's IP is loopback.</summary>
    public sealed record PodIdentity(string Name, string Namespace, string Ip);

    public static ChartContainer From(RenderedChart chart, string kind, string workload, PodIdentity pod)
    {
        var podSpec = chart.Get(kind, workload).GetProperty("spec").GetProperty("template").GetProperty("spec");
        var container = podSpec.GetProperty("containers")[0];
        var podSecurity = podSpec.TryGetProperty("securityContext", out var ps) ? ps : default;
        var security = container.TryGetProperty("securityContext", out var cs) ? cs : default;

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in Array(container, "envFrom"))
        {
            if (source.TryGetProperty("configMapRef", out var configMap))
            {
                foreach (var entry in chart.Get("ConfigMap", configMap.GetProperty("name").GetString()!).GetProperty("data").EnumerateObject())
                {
                    env[entry.Name] = entry.Value.GetString()!;
                }
            }
            else if (source.TryGetProperty("secretRef", out var secretRef))
            {
                var secret = chart.Get("Secret", secretRef.GetProperty("name").GetString()!);
                foreach (var entry in secret.TryGetProperty("data", out var data) ? data.EnumerateObject() : default)
                {
                    env[entry.Name] = chart.SecretValue(RenderedChart.Name(secret), entry.Name);
                }
            }
        }
        foreach (var variable in Array(container, "env"))
        {
            env[variable.GetProperty("name").GetString()!] = Resolve(chart, variable, pod);
        }

        var httpPort = Array(container, "ports").Where(p => p.TryGetProperty("name", out var n) && n.GetString() == "http")
            .Select(p => (int?)p.GetProperty("containerPort").GetInt32()).FirstOrDefault();
        var readiness = container.TryGetProperty("readinessProbe", out var probe) ? probe.GetProperty("httpGet").GetProperty("path").GetString() : null;

        var emptyDirs = Array(podSpec, "volumes").Where(v => v.TryGetProperty("emptyDir", out _))
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("emptyDir").TryGetProperty("sizeLimit", out var size) ? size.GetString() : null);
        var mounts = Array(container, "volumeMounts").Where(m => emptyDirs.ContainsKey(m.GetProperty("name").GetString()!))
            .Select(m => (m.GetProperty("mountPath").GetString()!, emptyDirs[m.GetProperty("name").GetString()!])).ToList();

        var preStop = container.TryGetProperty("lifecycle", out var lifecycle) && lifecycle.TryGetProperty("preStop", out var hook) ? hook : default;
        var preStopSleep = preStop.ValueKind == JsonValueKind.Object && preStop.TryGetProperty("sleep", out var sleep) ? sleep.GetProperty("seconds").GetInt32() : 0;
        if (preStop.ValueKind == JsonValueKind.Object && preStop.TryGetProperty("exec", out var exec))
        {
            // An exec fallback ["sleep", "N"] (older clusters): the same wait, but the image has no shell or sleep to run it.
            var command = exec.GetProperty("command").EnumerateArray().Select(c => c.GetString()!).ToList();
            preStopSleep = int.Parse(command[^1], CultureInfo.InvariantCulture);
        }

        return new ChartContainer(
            workload,
            container.GetProperty("image").GetString()!,
            Strings(container, "command"),
            Strings(container, "args"),
            env,
            Long(security, "runAsUser") ?? Long(podSecurity, "runAsUser") ?? throw new Xunit.Sdk.XunitException($"{workload}: no runAsUser"),
            Long(security, "runAsGroup") ?? Long(podSecurity, "runAsGroup") ?? 0,
            Bool(security, "readOnlyRootFilesystem"),
            security.ValueKind == JsonValueKind.Object && security.TryGetProperty("allowPrivilegeEscalation", out var escalation) && !escalation.GetBoolean(),
            security.ValueKind == JsonValueKind.Object && security.TryGetProperty("capabilities", out var caps) ? Strings(caps, "drop") : [],
            mounts,
            podSpec.TryGetProperty("terminationGracePeriodSeconds", out var grace) ? grace.GetInt32() : 30,
            preStopSleep,
            httpPort,
            readiness);
    }

    /// <summary><c>podman run</c> arguments: detached on the host network, as this container would run in its pod.</summary>
    public IReadOnlyList<string> RunArguments(string name)
    {
        var arguments = new List<string> { "run", "-d", "--name", name, "--network", "host", "--pull", "never" };
        arguments.AddRange(["--user", $"{RunAsUser}:{RunAsGroup}"]);
        if (ReadOnlyRootFilesystem)
        {
            arguments.Add("--read-only");
        }
        if (NoNewPrivileges)
        {
            arguments.AddRange(["--security-opt", "no-new-privileges"]);
        }
        foreach (var capability in DropCapabilities)
        {
            arguments.AddRange(["--cap-drop", capability]);
        }
        foreach (var (path, size) in EmptyDirMounts)
        {
            // An emptyDir is writable by the pod's user; sizeLimit as the tmpfs size (Mi/Gi as m/g).
            var options = "rw,mode=1777" + (size is null ? "" : ",size=" + size.Replace("Mi", "m", StringComparison.Ordinal).Replace("Gi", "g", StringComparison.Ordinal));
            arguments.AddRange(["--tmpfs", $"{path}:{options}"]);
        }
        foreach (var (key, value) in Env)
        {
            arguments.AddRange(["--env", $"{key}={value}"]);
        }
        if (Command.Count > 0)
        {
            // Kubernetes' command replaces the image's ENTRYPOINT; args replace its CMD.
            arguments.AddRange(["--entrypoint", JsonSerializer.Serialize(Command)]);
        }
        arguments.Add(Image);
        arguments.AddRange(Args);
        return arguments;
    }

    private static string Resolve(RenderedChart chart, JsonElement variable, PodIdentity pod)
    {
        if (variable.TryGetProperty("value", out var value))
        {
            return value.GetString()!;
        }
        var from = variable.GetProperty("valueFrom");
        if (from.TryGetProperty("secretKeyRef", out var secret))
        {
            return chart.SecretValue(secret.GetProperty("name").GetString()!, secret.GetProperty("key").GetString()!);
        }
        if (from.TryGetProperty("configMapKeyRef", out var config))
        {
            return chart.ConfigValue(config.GetProperty("name").GetString()!, config.GetProperty("key").GetString()!);
        }
        if (from.TryGetProperty("fieldRef", out var field))
        {
            return field.GetProperty("fieldPath").GetString() switch
            {
                "metadata.name" => pod.Name,
                "metadata.namespace" => pod.Namespace,
                "status.podIP" or "status.hostIP" => pod.Ip,
                var other => throw new Xunit.Sdk.XunitException($"env {variable.GetProperty("name")}: fieldRef {other} is not emulated"),
            };
        }
        throw new Xunit.Sdk.XunitException($"env {variable.GetProperty("name")}: unsupported source {from}");
    }

    private static IEnumerable<JsonElement> Array(JsonElement o, string name) =>
        o.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    private static List<string> Strings(JsonElement o, string name) => Array(o, name).Select(s => s.GetString()!).ToList();

    private static long? Long(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) ? v.GetInt64() : null;

    private static bool Bool(JsonElement o, string name) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out var v) && v.GetBoolean();
}
