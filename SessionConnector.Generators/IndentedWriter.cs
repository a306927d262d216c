using System;
using System.Text;

namespace SessionConnector.Generators;

/// <summary>
/// A minimal indenting text writer: four spaces per level, <c>\n</c> line ends for stable output. <see cref="Open"/>
/// returns a block that writes the closing brace when disposed, so the C# nesting of the emitter mirrors the output.
/// </summary>
internal sealed class IndentedWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    /// <summary>Writes one line, or each line of a multi-line text (e.g. a raw string literal), indented.</summary>
    public IndentedWriter Line(string text = "")
    {
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length > 0)
            {
                _builder.Append(' ', _indent * 4).Append(line);
            }

            _builder.Append('\n');
        }

        return this;
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace; disposing the result closes it.</summary>
    public Block Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return new Block(this);
    }

    public override string ToString() => _builder.ToString();

    /// <summary>An open brace; <see cref="Dispose"/> writes the matching close.</summary>
    public readonly struct Block : IDisposable
    {
        private readonly IndentedWriter? _writer;

        public Block(IndentedWriter writer) => _writer = writer;

        public void Dispose()
        {
            if (_writer is { } w)
            {
                w._indent--;
                w.Line("}");
            }
        }
    }
}
