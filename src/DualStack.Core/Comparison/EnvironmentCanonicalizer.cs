using System.Runtime.CompilerServices;
using System.Text;
using DualStack.Core.Model;

namespace DualStack.Core.Comparison;

/// <summary>
/// Rewrites what is specific to one stack's environment so that two healthy stacks compare equal: a path under one of
/// the stack's roots becomes <c>&lt;root&gt;/relative/path</c> and the stack's own address becomes <c>&lt;host&gt;</c>.
/// A different file relative to the root stays different.
/// </summary>
/// <remarks>
/// Paths: <c>\</c> and <c>/</c> are the same separator, repeated separators, <c>.</c> segments and trailing separators
/// are dropped, <c>..</c> is resolved (a path that climbs out of its root is left alone), <c>file://</c> URIs (with or
/// without <c>localhost</c>, percent-encoded) are read as paths, and the longest matching root wins. A root matches only
/// at a path boundary: <c>/ws-old2/a</c> is not under <c>/ws-old</c>. Roots compare case-sensitively, except drive-letter
/// and UNC roots and on Windows. Host: the base URL (any scheme, plus its path when it has one) and a bare
/// <c>host:port</c> when the URL gives a port; a host without a port is masked only inside a URL, never as a bare word.
/// Every root collapses to the same <c>&lt;root&gt;</c> token, so a file is compared by its place under a root, not by
/// which of a stack's roots holds it.
/// </remarks>
internal static class EnvironmentCanonicalizer
{
    /// <summary>What a root folder becomes.</summary>
    public const string RootToken = "<root>";

    /// <summary>What the stack's own address becomes.</summary>
    public const string HostToken = "<host>";

    // Roots and host prepared once per environment instance: the record is immutable and `with` makes a new instance,
    // so an entry never goes stale, and it goes when its environment goes.
    private static readonly ConditionalWeakTable<StackEnvironment, Compiled> CompiledEnvironments = new();

    /// <summary>
    /// <paramref name="text"/> with paths under <paramref name="environment"/>'s roots made root-relative and its address
    /// masked; the same instance (no allocation) when there is nothing to rewrite or no environment.
    /// </summary>
    public static string Canonicalize(string text, StackEnvironment? environment)
    {
        if (environment is null || string.IsNullOrEmpty(text))
        {
            return text;
        }

        var compiled = CompiledEnvironments.GetValue(environment, Compile);
        return compiled.MayOccurIn(text) ? Rewrite(text, compiled) : text;
    }

    /// <summary>Null-tolerant form of <see cref="Canonicalize(string, StackEnvironment?)"/>.</summary>
    public static string? CanonicalizeOrNull(string? text, StackEnvironment? environment) =>
        text is null ? null : Canonicalize(text, environment);

    internal static Compiled Compile(StackEnvironment environment)
    {
        var roots = new List<Root>();
        foreach (var entry in environment.PathRoots)
        {
            if (NormalizeRoot(entry) is { } root)
            {
                roots.Add(root);
            }
        }

        // Longest first, so a nested root wins over the folder that holds it.
        roots.Sort((x, y) => y.Path.Length.CompareTo(x.Path.Length));

        string? authority = null;
        string? basePath = null;
        var hostNeedsScheme = false;
        if (environment.BaseAddress is { Length: > 0 } address && Uri.TryCreate(address, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host))
        {
            // Without a port, the host alone ("old") is a word like any other: it is masked only inside a URL.
            hostNeedsScheme = uri.IsDefaultPort;
            authority = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
            basePath = uri.AbsolutePath.TrimEnd('/');
            basePath = basePath.Length == 0 ? null : basePath;
        }

        return new Compiled(roots.ToArray(), authority, hostNeedsScheme, basePath);
    }

    private static Root? NormalizeRoot(string? entry)
    {
        if (string.IsNullOrWhiteSpace(entry))
        {
            return null;
        }

        var text = entry.Trim();
        var unc = text.StartsWith(@"\\", StringComparison.Ordinal) || text.StartsWith("//", StringComparison.Ordinal);
        var builder = new StringBuilder(text.Length);
        if (unc)
        {
            builder.Append("//");
        }

        foreach (var segment in text.Split(Separators, StringSplitOptions.RemoveEmptyEntries))
        {
            if (builder.Length > 0 && builder[^1] != '/')
            {
                builder.Append('/');
            }
            else if (builder.Length == 0 && !IsDrive(segment))
            {
                builder.Append('/');
            }

            builder.Append(segment);
        }

        var path = builder.ToString();
        var drive = path.Length >= 2 && IsDrive(path[..2]);

        // The file system's root (or a bare drive) would make every path relative: not a root worth having.
        if (path.Length <= 1 || (drive && path.Length <= 3) || (unc && path.Length <= 2))
        {
            return null;
        }

        var comparison = OperatingSystem.IsWindows() || drive || unc ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var lastSegment = path[(path.LastIndexOf('/') + 1)..];
        return new Root(path, comparison, lastSegment);
    }

    private static bool IsDrive(string segment) => segment.Length == 2 && char.IsAsciiLetter(segment[0]) && segment[1] == ':';

    private static readonly char[] Separators = ['/', '\\'];

    private static string Rewrite(string text, Compiled compiled)
    {
        StringBuilder? output = null;
        var copied = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (TryHost(text, i, copied, compiled, out var start, out var end, out var replacement)
                || TryFileUri(text, i, compiled, out start, out end, out replacement)
                || TryPath(text, i, compiled, out start, out end, out replacement))
            {
                output ??= new StringBuilder(text.Length);
                output.Append(text, copied, start - copied).Append(replacement);
                i = copied = end;
                continue;
            }

            i++;
        }

        return output is null ? text : output.Append(text, copied, text.Length - copied).ToString();
    }

    // Host: at i, the authority (host:port, or the host of a default-port URL when a scheme precedes it).
    private static bool TryHost(string text, int i, int copied, Compiled compiled, out int start, out int end, out string? replacement)
    {
        start = end = 0;
        replacement = HostToken;
        if (compiled.Authority is not { } authority || !text.AsSpan(i).StartsWith(authority, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Absorb a scheme ("http://") in front, so the base URL in any scheme becomes <host>.
        start = i;
        if (i >= 3 && text.AsSpan(i - 3, 3).SequenceEqual("://"))
        {
            var k = i - 3;
            while (k > copied && (char.IsAsciiLetterOrDigit(text[k - 1]) || text[k - 1] is '+' or '.' or '-'))
            {
                k--;
            }

            if (k < i - 3 && char.IsAsciiLetter(text[k]) && (k == 0 || !IsNameChar(text[k - 1])))
            {
                start = k;
            }
        }

        if (start == i && (compiled.HostNeedsScheme || (i > 0 && (IsNameChar(text[i - 1]) || text[i - 1] == '@'))))
        {
            return false;
        }

        end = i + authority.Length;
        if (Continues(text, end) || (end + 1 < text.Length && text[end] == ':' && char.IsAsciiDigit(text[end + 1])))
        {
            return false;
        }

        // With a scheme, the base path belongs to the address too: http://h:1/api/x → <host>/x.
        if (start < i && compiled.BasePath is { } basePath && text.AsSpan(end).StartsWith(basePath, StringComparison.Ordinal) && !Continues(text, end + basePath.Length))
        {
            end += basePath.Length;
        }

        return true;
    }

    private static bool TryFileUri(string text, int i, Compiled compiled, out int start, out int end, out string? replacement)
    {
        start = i;
        end = 0;
        replacement = null;
        const string Scheme = "file://";
        if (compiled.Roots.Length == 0 || (text[i] is not ('f' or 'F')) || !text.AsSpan(i).StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || (i > 0 && IsNameChar(text[i - 1])))
        {
            return false;
        }

        end = TrimSentencePunctuation(text, TokenEnd(text, i + Scheme.Length, stopAtQuery: true));
        var path = text[(i + Scheme.Length)..end];
        if (path.StartsWith("localhost/", StringComparison.OrdinalIgnoreCase))
        {
            path = path["localhost".Length..];
        }

        if (path.Contains('%', StringComparison.Ordinal))
        {
            path = Uri.UnescapeDataString(path);
        }

        // file:///C:/x → C:/x
        if (path.Length >= 3 && path[0] == '/' && char.IsAsciiLetter(path[1]) && path[2] == ':')
        {
            path = path[1..];
        }

        replacement = UnderRoot(path, 0, path.Length, compiled.Roots);
        return replacement is not null;
    }

    private static bool TryPath(string text, int i, Compiled compiled, out int start, out int end, out string? replacement)
    {
        start = i;
        end = 0;
        replacement = null;
        var c = text[i];
        var candidate = c is '/' or '\\' || (char.IsAsciiLetter(c) && i + 1 < text.Length && text[i + 1] == ':');
        if (!candidate || compiled.Roots.Length == 0)
        {
            return false;
        }

        // Only where a path can start: not inside a word, another path or a URL.
        if (i > 0 && (IsNameChar(text[i - 1]) || text[i - 1] is '/' or '\\' or ':'))
        {
            return false;
        }

        end = TrimSentencePunctuation(text, TokenEnd(text, i, stopAtQuery: false));
        replacement = UnderRoot(text, i, end, compiled.Roots);
        if (replacement is null)
        {
            return false;
        }

        return true;
    }

    // The root-relative form of text[from..to] when it is under one of the roots (longest first); null otherwise.
    private static string? UnderRoot(string text, int from, int to, Root[] roots)
    {
        foreach (var root in roots)
        {
            var length = MatchRoot(text, from, to, root);
            if (length < 0)
            {
                continue;
            }

            var tailStart = from + length;
            if (tailStart == to)
            {
                return RootToken;
            }

            if (Relative(text, tailStart, to) is { } relative)
            {
                return relative;
            }
        }

        return null;
    }

    // Length of the match of root at text[from..]: separators equal either way, the root must end at a separator or the token's end.
    private static int MatchRoot(string text, int from, int to, Root root)
    {
        var path = root.Path;
        if (to - from < path.Length)
        {
            return -1;
        }

        var ignoreCase = root.Comparison == StringComparison.OrdinalIgnoreCase;
        for (var k = 0; k < path.Length; k++)
        {
            var t = text[from + k];
            var r = path[k];
            if (r == '/')
            {
                if (t is not ('/' or '\\'))
                {
                    return -1;
                }
            }
            else if (t != r && (!ignoreCase || char.ToUpperInvariant(t) != char.ToUpperInvariant(r)))
            {
                return -1;
            }
        }

        var next = from + path.Length;
        return next == to || text[next] is '/' or '\\' ? path.Length : -1;
    }

    // "<root>/a/b" from the tail after a root ("/a//./x/../b/"); null when ".." climbs out of the root.
    private static string? Relative(string text, int from, int to)
    {
        var segments = new List<string>();
        var k = from;
        while (k < to)
        {
            while (k < to && text[k] is '/' or '\\')
            {
                k++;
            }

            var s = k;
            while (k < to && text[k] is not ('/' or '\\'))
            {
                k++;
            }

            if (k == s)
            {
                continue;
            }

            var segment = text.AsSpan(s, k - s);
            if (segment is ".")
            {
                continue;
            }

            if (segment is "..")
            {
                if (segments.Count == 0)
                {
                    return null;
                }

                segments.RemoveAt(segments.Count - 1);
                continue;
            }

            segments.Add(segment.ToString());
        }

        return segments.Count == 0 ? RootToken : RootToken + "/" + string.Join('/', segments);
    }

    // A path token ends at whitespace, quotes, brackets and list punctuation (and, in a URI, at '?' or '#').
    private static int TokenEnd(string text, int from, bool stopAtQuery)
    {
        var k = from;
        while (k < text.Length && !IsTerminator(text[k]) && !(stopAtQuery && text[k] is '?' or '#'))
        {
            k++;
        }

        return k;
    }

    private static bool IsTerminator(char c) =>
        char.IsWhiteSpace(c) || c is '"' or '\'' or '`' or '<' or '>' or '|' or ',' or ';' or '(' or ')' or '[' or ']' or '{' or '}' or '*';

    // "I read /ws/a.md." — the full stop ends the sentence, not the file name.
    private static int TrimSentencePunctuation(string text, int end)
    {
        while (end > 0 && text[end - 1] is '.' or ':' or '!' or '?' && (end == text.Length || char.IsWhiteSpace(text[end]) || IsTerminator(text[end])))
        {
            end--;
        }

        return end;
    }

    private static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or '~' or '+' or '%';

    // True when text[at] continues a name (so whatever ended just before is only a prefix): "/ws-old" in "/ws-old2".
    private static bool Continues(string text, int at)
    {
        if (at >= text.Length)
        {
            return false;
        }

        var c = text[at];
        if (c == '.')
        {
            // A full stop at the end of a sentence does not continue the name.
            return at + 1 < text.Length && IsNameChar(text[at + 1]);
        }

        return IsNameChar(c);
    }

    internal sealed record Root(string Path, StringComparison Comparison, string LastSegment);

    /// <summary>An environment prepared for scanning.</summary>
    internal sealed class Compiled
    {
        internal Compiled(Root[] roots, string? authority, bool hostNeedsScheme, string? basePath)
        {
            Roots = roots;
            Authority = authority;
            HostNeedsScheme = hostNeedsScheme;
            BasePath = basePath;
        }

        internal Root[] Roots { get; }

        internal string? Authority { get; }

        internal bool HostNeedsScheme { get; }

        internal string? BasePath { get; }

        // A cheap, allocation-free filter: no root's last folder name and no host in the text means nothing to rewrite.
        internal bool MayOccurIn(string text)
        {
            if (Authority is { } authority && text.Contains(authority, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (Roots.Length > 0 && text.Contains("file:", StringComparison.OrdinalIgnoreCase))
            {
                // A file URI may percent-encode the root's name.
                return true;
            }

            foreach (var root in Roots)
            {
                if (text.Contains(root.LastSegment, root.Comparison))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
