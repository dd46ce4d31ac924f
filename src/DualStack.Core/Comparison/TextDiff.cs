using System.Text.RegularExpressions;
using DiffPlex;
using DualStack.Core.Judgement;

namespace DualStack.Core.Comparison;

/// <summary>The one word-level diff (DiffPlex) used by results and every report.</summary>
internal static partial class TextDiff
{
    private static readonly NumberKeepingWordChunker Chunker = new();

    /// <summary>Word diff of <paramref name="oldText"/> → <paramref name="newText"/> as equal/deleted/inserted runs.</summary>
    public static IReadOnlyList<DiffSegment> Words(string oldText, string newText)
    {
        var diff = Differ.Instance.CreateDiffs(oldText, newText, ignoreWhiteSpace: false, ignoreCase: false, Chunker);
        var segments = new List<DiffSegment>();
        var oldIndex = 0;
        foreach (var block in diff.DiffBlocks)
        {
            Append(segments, DiffKind.Equal, diff.PiecesOld, oldIndex, block.DeleteStartA - oldIndex);
            Append(segments, DiffKind.Deleted, diff.PiecesOld, block.DeleteStartA, block.DeleteCountA);
            Append(segments, DiffKind.Inserted, diff.PiecesNew, block.InsertStartB, block.InsertCountB);
            oldIndex = block.DeleteStartA + block.DeleteCountA;
        }

        Append(segments, DiffKind.Equal, diff.PiecesOld, oldIndex, diff.PiecesOld.Count - oldIndex);
        return segments;
    }

    private static void Append(List<DiffSegment> segments, DiffKind kind, IReadOnlyList<string> pieces, int start, int count)
    {
        if (count <= 0)
        {
            return;
        }

        var text = string.Concat(pieces.Skip(start).Take(count));
        if (segments.Count > 0 && segments[^1].Kind == kind)
        {
            segments[^1] = segments[^1] with { Text = segments[^1].Text + text };
        }
        else
        {
            segments.Add(new DiffSegment(kind, text));
        }
    }

    /// <summary>
    /// Splits like DiffPlex's WordChunker, except that '.' and ',' between digits stay inside the word, so that a
    /// changed amount (25.00 → 27.50) is one deleted and one inserted word rather than "25" → "27", "00" → "50".
    /// </summary>
    private sealed partial class NumberKeepingWordChunker : IChunker
    {
        public IReadOnlyList<string> Chunk(string text) => Separators().Split(text).Where(piece => piece.Length > 0).ToArray();

        [GeneratedRegex(@"(\s|[(){}!?;]|(?<!\d)[.,]|[.,](?!\d))", RegexOptions.CultureInvariant)]
        private static partial Regex Separators();
    }
}
