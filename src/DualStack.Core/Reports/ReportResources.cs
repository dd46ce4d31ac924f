namespace DualStack.Core.Reports;

/// <summary>Text resources embedded in Core (the report's stylesheet and script), read as UTF-8.</summary>
internal static class ReportResources
{
    /// <summary>The text of <c>Reports/<paramref name="name"/></c>, embedded as <c>DualStack.Core.Reports.&lt;name&gt;</c>.</summary>
    /// <exception cref="InvalidOperationException">The resource is not embedded (a build error, never a user error).</exception>
    public static string Read(string name)
    {
        var assembly = typeof(ReportResources).Assembly;
        var fullName = "DualStack.Core.Reports." + name;
        using var stream = assembly.GetManifestResourceStream(fullName)
            ?? throw new InvalidOperationException($"embedded resource '{fullName}' is missing from {assembly.GetName().Name}");
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        return reader.ReadToEnd();
    }
}
