// Counts DualStack.Core's top-level public and internal types and lists the public ones no other given assembly references
// (candidates for internal). usage: dotnet run scripts/core-public-types.cs -- CORE.dll [CONSUMER.dll ...]
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

var core = args[0];
using var coreStream = File.OpenRead(core);
using var corePe = new PEReader(coreStream);
var md = corePe.GetMetadataReader();
var publicTypes = new SortedSet<string>(StringComparer.Ordinal);
int pub = 0, internalCount = 0;
foreach (var h in md.TypeDefinitions)
{
    var t = md.GetTypeDefinition(h);
    var name = md.GetString(t.Name);
    if (name == "<Module>" || name.StartsWith('<') || md.GetString(t.Namespace).StartsWith("System", StringComparison.Ordinal) || md.GetString(t.Namespace).StartsWith("Microsoft", StringComparison.Ordinal) || md.GetString(t.Namespace).StartsWith("Refit", StringComparison.Ordinal))
    {
        continue;
    }

    var vis = t.Attributes & TypeAttributes.VisibilityMask;
    if (t.GetDeclaringType().IsNil)
    {
        if (vis == TypeAttributes.Public) { pub++; publicTypes.Add($"{md.GetString(t.Namespace)}.{name}"); }
        else if (vis == TypeAttributes.NotPublic) { internalCount++; }
    }
}

Console.WriteLine($"top-level types in {Path.GetFileName(core)}: public {pub}, internal {internalCount}");
var used = new SortedSet<string>(StringComparer.Ordinal);
foreach (var consumer in args.Skip(1))
{
    using var s = File.OpenRead(consumer);
    using var pe = new PEReader(s);
    var r = pe.GetMetadataReader();
    foreach (var h in r.TypeReferences)
    {
        var tr = r.GetTypeReference(h);
        // Walk out of nested references to the top-level type.
        var top = tr;
        while (top.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            top = r.GetTypeReference((TypeReferenceHandle)top.ResolutionScope);
        }

        if (top.ResolutionScope.Kind == HandleKind.AssemblyReference && r.GetString(r.GetAssemblyReference((AssemblyReferenceHandle)top.ResolutionScope).Name) == "DualStack.Core")
        {
            used.Add($"{r.GetString(top.Namespace)}.{r.GetString(top.Name)}");
        }
    }
}

if (args.Length > 1)
{
    Console.WriteLine($"public types referenced by the {args.Length - 1} other assemblies: {used.Count(publicTypes.Contains)}");
    foreach (var t in publicTypes.Where(t => !used.Contains(t)))
    {
        Console.WriteLine("unused-outside " + t);
    }
}
