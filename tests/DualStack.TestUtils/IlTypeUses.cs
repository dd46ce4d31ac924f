using Mono.Cecil;

namespace DualStack.TestUtils;

/// <summary>
/// Which types each top-level type of an assembly uses, read from its IL: signatures, fields, locals and every type,
/// method and field an instruction names, in the type and all its nested types (the compiler's closures and async
/// state machines included). NetArchTest's <c>HaveDependencyOn</c> misses a type used only inside a lambda's state
/// machine nested two deep (as in a command's async action), so the architecture tests read the IL themselves; Mono.Cecil
/// comes with NetArchTest.Rules.
/// </summary>
public static class IlTypeUses
{
    /// <summary>Full name of every top-level type → full names of the top-level types it uses (itself excluded).</summary>
    /// <param name="assemblyPath">The compiled assembly to read.</param>
    public static Dictionary<string, HashSet<string>> Read(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var uses = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var type in module.Types.Where(t => t.Name != "<Module>"))
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            Collect(type, used);
            used.Remove(type.FullName);
            uses[type.FullName] = used;
        }

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
