using DualStack.Core.Model;

namespace DualStack.Core.Tests;

public sealed class ArchitectureTests
{
    [Test]
    public void CoreAssembly_ReferencedAssemblies_IncludeNoAspNetCore()
    {
        var referenced = typeof(Conversation).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).ToArray();

        Assert.That(referenced, Is.Not.Empty);
        Assert.That(referenced.Where(n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)), Is.Empty);
    }
}
