namespace Gateway.Tests.Deploy;

/// <summary>
/// A values file written for one test (values with dotted keys or typed strings do not survive <c>--set</c>);
/// deleted on dispose.
/// </summary>
internal sealed class ValuesFile : IDisposable
{
    private readonly DirectoryInfo _directory;

    private ValuesFile(string yaml)
    {
        _directory = Directory.CreateTempSubdirectory("gateway-values-");
        Path = System.IO.Path.Combine(_directory.FullName, "values.yaml");
        File.WriteAllText(Path, yaml);
    }

    public string Path { get; }

    public static ValuesFile Write(string yaml) => new(yaml);

    public void Dispose() => _directory.Delete(recursive: true);
}
