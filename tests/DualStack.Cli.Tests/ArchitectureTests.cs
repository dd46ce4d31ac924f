using Mono.Cecil;
using Mono.Cecil.Cil;

namespace DualStack.Cli.Tests;

/// <summary>
/// The CLI's rules about the sample agent, read from the compiled IL: only <c>Embedded/</c> uses the sample agent and
/// its sandboxes, and only the composition root (<c>Program</c>) uses <c>Embedded/</c>; every other command reaches the
/// sample stacks through <see cref="ISampleStacks"/>.
/// </summary>
public sealed class ArchitectureTests
{
    private const string Embedded = "DualStack.Cli.Embedded";

    private static readonly string[] SampleAgent = ["DualStack.Sandbox", "DualStack.SampleAgent"];

    // Mono.Cecil comes with NetArchTest.Rules. NetArchTest itself is not used here: it misses types used only inside a
    // lambda's async state machine (nested two deep, as in every command's SetAction), so it would pass a command that
    // starts the sample stacks in its action.
    private static readonly Lazy<Dictionary<string, HashSet<string>>> Uses = new(ReadUses);

    [Test]
    public void CliTypes_OutsideEmbedded_DoNotUseTheSampleAgentOrItsSandbox()
    {
        var offenders = Uses.Value
            .Where(u => !InNamespace(u.Key, Embedded))
            .SelectMany(u => u.Value.Where(used => SampleAgent.Any(ns => InNamespace(used, ns))).Select(used => $"{u.Key} uses {used}"));

        Assert.That(offenders, Is.Empty, "only src/DualStack.Cli/Embedded/ may use DualStack.Sandbox or DualStack.SampleAgent; go through ISampleStacks");
    }

    [Test]
    public void CliTypes_UsingTheSampleAgent_AreFoundInsideActionsAndAllLiveInEmbedded()
    {
        // The check above sees real uses, also inside a command's action: the sandbox command starts its sandbox there.
        var users = Uses.Value.Where(u => u.Value.Any(used => SampleAgent.Any(ns => InNamespace(used, ns)))).Select(u => u.Key).ToArray();

        Assert.That(users, Does.Contain(Embedded + ".EmbeddedSampleStacks").And.Contain(Embedded + ".SandboxCommand"));
        Assert.That(users.Where(u => !InNamespace(u, Embedded)), Is.Empty);
    }

    [Test]
    public void CliTypes_OutsideTheCompositionRoot_DoNotUseEmbedded()
    {
        var offenders = Uses.Value
            .Where(u => !InNamespace(u.Key, Embedded) && u.Key != "Program")
            .SelectMany(u => u.Value.Where(used => InNamespace(used, Embedded)).Select(used => $"{u.Key} uses {used}"));

        Assert.That(Uses.Value["Program"], Does.Contain(Embedded + ".EmbeddedServices"), "the composition root registers Embedded/");
        Assert.That(offenders, Is.Empty, "commands get the sample stacks as ISampleStacks from the container that Program.CreateServices builds");
    }

    [Test]
    public void CompositionRoot_BuildsTheWholeCommandTree()
    {
        using var services = Program.CreateServices();

        var root = CliApp.BuildRoot(services);

        Assert.That(root.Subcommands.Select(c => c.Name), Is.EqualTo(new[]
        {
            "stacks", "synth", "verify", "demo", "worker", "report", "capture", "captures", "sandbox", "shadow", "split", "gate", "memory", "drill", "schema",
        }));
    }

    private static bool InNamespace(string typeName, string ns) =>
        typeName.StartsWith(ns + ".", StringComparison.Ordinal);

    /// <summary>Every top-level CLI type and the types it uses, its nested types (closures, state machines) included.</summary>
    private static Dictionary<string, HashSet<string>> ReadUses()
    {
        using var module = ModuleDefinition.ReadModule(typeof(CliApp).Assembly.Location);
        var uses = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var type in module.Types.Where(t => t.Name != "<Module>"))
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            Collect(type, used);
            used.Remove(type.FullName);
            uses[type.FullName] = used;
        }

        Assert.That(uses.Keys, Does.Contain(typeof(CliApp).FullName), "the CLI's types were read");
        return uses;
    }

    private static void Collect(TypeDefinition type, HashSet<string> used)
    {
        Add(type.BaseType, used);
        foreach (var item in type.Interfaces)
        {
            Add(item.InterfaceType, used);
        }

        foreach (var field in type.Fields)
        {
            Add(field.FieldType, used);
        }

        foreach (var property in type.Properties)
        {
            Add(property.PropertyType, used);
        }

        foreach (var method in type.Methods)
        {
            Add(method.ReturnType, used);
            foreach (var parameter in method.Parameters)
            {
                Add(parameter.ParameterType, used);
            }

            if (!method.HasBody)
            {
                continue;
            }

            foreach (var variable in method.Body.Variables)
            {
                Add(variable.VariableType, used);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference operand:
                        Add(operand, used);
                        break;
                    case MethodReference operand:
                        Add(operand.DeclaringType, used);
                        Add(operand.ReturnType, used);
                        foreach (var parameter in operand.Parameters)
                        {
                            Add(parameter.ParameterType, used);
                        }

                        if (operand is GenericInstanceMethod generic)
                        {
                            foreach (var argument in generic.GenericArguments)
                            {
                                Add(argument, used);
                            }
                        }

                        break;
                    case FieldReference operand:
                        Add(operand.DeclaringType, used);
                        Add(operand.FieldType, used);
                        break;
                }
            }
        }

        foreach (var nested in type.NestedTypes)
        {
            Collect(nested, used);
        }
    }

    // A type by its outermost declaring type (where its namespace is), with element and generic argument types.
    private static void Add(TypeReference? type, HashSet<string> used)
    {
        switch (type)
        {
            case null or GenericParameter:
                return;
            case GenericInstanceType generic:
                Add(generic.ElementType, used);
                foreach (var argument in generic.GenericArguments)
                {
                    Add(argument, used);
                }

                return;
            case TypeSpecification specification:
                Add(specification.ElementType, used);
                return;
        }

        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        used.Add(type.FullName);
    }
}
