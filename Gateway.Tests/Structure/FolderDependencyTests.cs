using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Gateway.Front.Hosting;
using Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Gateway.Tests.Structure;

/// <summary>
/// Gateway.Front's folders form a layered graph: no folder reaches back to one that uses it, and only the
/// composition root (<c>Hosting/</c> and <c>Program.cs</c>) depends on <c>Hosting/</c>. The graph is the union of
/// what the sources say (<c>using Gateway.Front.X</c>, <c>Gateway.Front.X.</c>, and <c>X.Type</c> found through the
/// parent namespace) and what the compiled assembly says (types in signatures and in method bodies), since
/// constants and <c>nameof</c> leave no trace in metadata and a type named without a using leaves none in the source.
/// </summary>
public sealed class FolderDependencyTests(ITestOutputHelper output)
{
    private const string Root = "Gateway.Front";
    private const string CompositionRoot = "Hosting";

    [Fact]
    public void Front_folders_have_no_import_cycle()
    {
        var graph = FrontGraph();
        output.WriteLine(Describe(graph));
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, cycle is null ? "" : "Import cycle between Gateway.Front folders: " + Explain(cycle, graph));
    }

    [Fact]
    public void Only_the_composition_root_depends_on_Hosting()
    {
        var graph = FrontGraph();
        var offenders = graph.Where(e => e.Key != CompositionRoot && e.Value.ContainsKey(CompositionRoot))
            .Select(e => $"{e.Key} -> {CompositionRoot} ({string.Join(", ", e.Value[CompositionRoot].Take(5))})").ToArray();
        Assert.True(offenders.Length == 0, "Hosting is the composition root; nothing else may use it: " + string.Join("; ", offenders));
    }

    [Fact]
    public void Each_scanner_sees_what_only_it_can()
    {
        // Guards the scanners themselves: a graph that found nothing would pass the tests above.
        var fromSources = FrontGraph(sources: true, metadata: false);
        var fromMetadata = FrontGraph(sources: false, metadata: true);
        // RequestAdmission names Routing.RouteTable through the parent namespace, without a using.
        Assert.Contains("Routing", fromSources["Admission"].Keys);
        // A property typed by another folder's type (PendingCharge.Hold), and a call into it from a method body.
        Assert.Contains("Admission", fromMetadata["Settlement"].Keys);
        Assert.Contains(fromMetadata["Forwarding"]["Routing"], site => site.Contains("UpstreamForwarder", StringComparison.Ordinal));
        Assert.True(fromMetadata[CompositionRoot].Count > 5);
    }

    /// <summary>Folder -> folder it uses -> where (the first few files or types that make the edge).</summary>
    private static Dictionary<string, Dictionary<string, SortedSet<string>>> FrontGraph(bool sources = true, bool metadata = true)
    {
        var graph = new Dictionary<string, Dictionary<string, SortedSet<string>>>();
        var sourceDir = Path.Combine(RepoPaths.Root, Root);
        var folders = Directory.GetDirectories(sourceDir).Select(Path.GetFileName).OfType<string>()
            .Where(d => d is not ("bin" or "obj" or "Properties")).ToHashSet();
        var edges = (sources ? SourceEdges(sourceDir, folders) : Enumerable.Empty<(string From, string To, string Where)>())
            .Concat(metadata ? MetadataEdges(folders) : Enumerable.Empty<(string From, string To, string Where)>());
        foreach (var (from, to, where) in edges)
        {
            if (from == to || !folders.Contains(from))
            {
                continue;
            }
            if (!graph.TryGetValue(from, out var uses))
            {
                graph[from] = uses = [];
            }
            if (!uses.TryGetValue(to, out var sites))
            {
                uses[to] = sites = [];
            }
            sites.Add(where);
        }
        foreach (var folder in folders)
        {
            graph.TryAdd(folder, []);
        }
        return graph;
    }

    /// <summary>
    /// Comments and literals, in one pass so a <c>//</c> inside a string is not a comment. Interpolated strings
    /// are kept (their holes are code); other literals and comments are blanked.
    /// </summary>
    private static readonly Regex CommentOrLiteral = new(
        @"(?<keep>\$@?""(?:[^""\\\n]|\\.)*"")|@""(?:[^""]|"""")*""|""(?:[^""\\\n]|\\.)*""|'(?:[^'\\\n]|\\.)'|//[^\n]*|/\*.*?\*/",
        RegexOptions.Singleline | RegexOptions.Compiled);

    private static readonly Regex Qualified = new(@"\bGateway\.Front\.(\w+)", RegexOptions.Compiled);
    private static readonly Regex Relative = new(@"(?<![\w.])([A-Z]\w*)\.[A-Z]\w*", RegexOptions.Compiled);

    /// <summary>Edges from the sources: usings, fully qualified names, and folder-relative names such as <c>Routing.RouteTable</c>.</summary>
    private static IEnumerable<(string From, string To, string Where)> SourceEdges(string sourceDir, HashSet<string> folders)
    {
        foreach (var file in Directory.EnumerateFiles(sourceDir, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(sourceDir, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal) || !relative.Contains('/'))
            {
                continue;
            }
            var from = relative[..relative.IndexOf('/')];
            var text = CommentOrLiteral.Replace(File.ReadAllText(file), m => m.Groups["keep"].Success ? m.Value : m.Value.StartsWith('/') ? "" : "\"\"");
            var lines = text.Split('\n').Where(l => !l.TrimStart().StartsWith("namespace ", StringComparison.Ordinal)).ToArray();
            foreach (var line in lines)
            {
                foreach (Match m in Qualified.Matches(line))
                {
                    yield return (from, m.Groups[1].Value, relative);
                }
                if (line.TrimStart().StartsWith("using ", StringComparison.Ordinal))
                {
                    continue;
                }
                foreach (Match m in Relative.Matches(line))
                {
                    // Inside namespace Gateway.Front.F, a name X.T with X a sibling folder binds to Gateway.Front.X.T.
                    if (folders.Contains(m.Groups[1].Value) && !DeclaresOwn(text, m.Groups[1].Value))
                    {
                        yield return (from, m.Groups[1].Value, relative);
                    }
                }
            }
        }
    }

    /// <summary>A type or member of the file's own named like a folder (<c>Admission.Deny</c> in Admission) is not a folder.</summary>
    private static bool DeclaresOwn(string text, string name) =>
        Regex.IsMatch(text, $@"\b(class|record|struct|interface|enum)\s+(struct\s+)?{name}\b|\b{name}\s*(=|\{{|;|\()");

    /// <summary>
    /// Edges from the compiled assembly: every type of Gateway.Front.F, with its nested types (closures and
    /// state machines included), uses the front types named in its base types, signatures, locals, attributes
    /// and the type, field and method tokens of its method bodies.
    /// </summary>
    private static IEnumerable<(string From, string To, string Where)> MetadataEdges(HashSet<string> folders)
    {
        var assembly = typeof(FrontServiceCollectionExtensions).Assembly;
        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var folderOf = new Dictionary<TypeDefinitionHandle, string?>();
        foreach (var handle in md.TypeDefinitions)
        {
            folderOf[handle] = FolderOf(md, handle, folders);
        }
        var edges = new List<(string, string, string)>();
        foreach (var handle in md.TypeDefinitions)
        {
            if (folderOf[handle] is not { } from)
            {
                continue;
            }
            var used = new HashSet<TypeDefinitionHandle>();
            var collector = new TypeCollector(used);
            var type = md.GetTypeDefinition(handle);
            AddType(md, type.BaseType, collector);
            foreach (var i in type.GetInterfaceImplementations())
            {
                AddType(md, md.GetInterfaceImplementation(i).Interface, collector);
            }
            AddAttributes(md, type.GetCustomAttributes(), collector);
            foreach (var f in type.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                field.DecodeSignature(collector, null);
                AddAttributes(md, field.GetCustomAttributes(), collector);
            }
            foreach (var m in type.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                method.DecodeSignature(collector, null);
                AddAttributes(md, method.GetCustomAttributes(), collector);
                if (method.RelativeVirtualAddress != 0)
                {
                    AddBody(md, pe.GetMethodBody(method.RelativeVirtualAddress), collector);
                }
            }
            foreach (var p in type.GetProperties())
            {
                md.GetPropertyDefinition(p).DecodeSignature(collector, null);
            }
            var name = TypeName(md, handle);
            foreach (var target in used)
            {
                if (folderOf.GetValueOrDefault(target) is { } to && to != from)
                {
                    edges.Add((from, to, name + " uses " + TypeName(md, target)));
                }
            }
        }
        return edges;
    }

    private static string? FolderOf(MetadataReader md, TypeDefinitionHandle handle, HashSet<string> folders)
    {
        var type = md.GetTypeDefinition(handle);
        while (type.IsNested)
        {
            type = md.GetTypeDefinition(type.GetDeclaringType());
        }
        var ns = md.GetString(type.Namespace);
        if (!ns.StartsWith(Root + ".", StringComparison.Ordinal))
        {
            return null;
        }
        var folder = ns[(Root.Length + 1)..].Split('.')[0];
        return folders.Contains(folder) ? folder : null;
    }

    private static string TypeName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        var name = md.GetString(type.Name);
        return type.IsNested ? TypeName(md, type.GetDeclaringType()) + "+" + name : name;
    }

    private static void AddType(MetadataReader md, EntityHandle handle, TypeCollector collector)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                collector.Used.Add((TypeDefinitionHandle)handle);
                break;
            case HandleKind.TypeSpecification:
                md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(collector, null);
                break;
        }
    }

    private static void AddAttributes(MetadataReader md, CustomAttributeHandleCollection attributes, TypeCollector collector)
    {
        foreach (var a in attributes)
        {
            AddMember(md, md.GetCustomAttribute(a).Constructor, collector);
        }
    }

    private static void AddMember(MetadataReader md, EntityHandle handle, TypeCollector collector)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition or HandleKind.TypeSpecification:
                AddType(md, handle, collector);
                break;
            case HandleKind.MethodDefinition:
                collector.Used.Add(md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                break;
            case HandleKind.FieldDefinition:
                collector.Used.Add(md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                break;
            case HandleKind.MemberReference:
                // A member of a generic instantiation (List<PooledKey>.Add, Box<T>.Value): its parent says whose.
                AddType(md, md.GetMemberReference((MemberReferenceHandle)handle).Parent, collector);
                break;
            case HandleKind.MethodSpecification:
                var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                AddMember(md, spec.Method, collector);
                spec.DecodeSignature(collector, null);
                break;
        }
    }

    private static void AddBody(MetadataReader md, MethodBodyBlock body, TypeCollector collector)
    {
        if (!body.LocalSignature.IsNil)
        {
            md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(collector, null);
        }
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            int code = il.ReadByte();
            if (code == 0xFE)
            {
                code = 0xFE00 | il.ReadByte();
            }
            switch (Operands[code])
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    AddMember(md, MetadataTokens.EntityHandle(il.ReadInt32()), collector);
                    break;
                default:
                    il.Offset += 4;
                    break;
            }
        }
    }

    /// <summary>Each IL opcode's operand kind, from <see cref="OpCodes"/>: what an IL walker needs to step over operands.</summary>
    private static readonly Dictionary<int, OperandType> Operands = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value & 0xFFFF, o => o.OperandType);

    /// <summary>Decodes signatures for their side effect: every type definition they name lands in <see cref="Used"/>.</summary>
    private sealed class TypeCollector(HashSet<TypeDefinitionHandle> used) : ISignatureTypeProvider<object?, object?>
    {
        public HashSet<TypeDefinitionHandle> Used { get; } = used;

        public object? GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            Used.Add(handle);
            return null;
        }

        public object? GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => null;

        public object? GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public object? GetPrimitiveType(PrimitiveTypeCode typeCode) => null;
        public object? GetSZArrayType(object? elementType) => null;
        public object? GetArrayType(object? elementType, ArrayShape shape) => null;
        public object? GetByReferenceType(object? elementType) => null;
        public object? GetPointerType(object? elementType) => null;
        public object? GetPinnedType(object? elementType) => null;
        public object? GetGenericInstantiation(object? genericType, ImmutableArray<object?> typeArguments) => null;
        public object? GetGenericMethodParameter(object? genericContext, int index) => null;
        public object? GetGenericTypeParameter(object? genericContext, int index) => null;
        public object? GetFunctionPointerType(MethodSignature<object?> signature) => null;
        public object? GetModifiedType(object? modifier, object? unmodifiedType, bool isRequired) => null;
    }

    /// <summary>A cycle as a list of folders (first == last), or null; depth-first, in name order so the answer is stable.</summary>
    private static List<string>? FindCycle(Dictionary<string, Dictionary<string, SortedSet<string>>> graph)
    {
        var state = new Dictionary<string, int>();
        var path = new List<string>();
        foreach (var start in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (Visit(start) is { } cycle)
            {
                return cycle;
            }
        }
        return null;

        List<string>? Visit(string node)
        {
            if (state.GetValueOrDefault(node) == 2)
            {
                return null;
            }
            if (state.GetValueOrDefault(node) == 1)
            {
                return [.. path[path.IndexOf(node)..], node];
            }
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node)?.Keys.Order(StringComparer.Ordinal) ?? Enumerable.Empty<string>())
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
    }

    private static string Explain(List<string> cycle, Dictionary<string, Dictionary<string, SortedSet<string>>> graph) =>
        string.Join(" -> ", cycle) + Environment.NewLine + string.Join(Environment.NewLine, cycle.Zip(cycle.Skip(1))
            .Select(step => $"  {step.First} -> {step.Second}: {string.Join("; ", graph[step.First][step.Second].Take(5))}"));

    private static string Describe(Dictionary<string, Dictionary<string, SortedSet<string>>> graph) =>
        string.Join(Environment.NewLine, graph.OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => $"{e.Key} -> {string.Join(", ", e.Value.Keys.Order(StringComparer.Ordinal))}"));
}
