using System;
using System.Collections.Generic;
using System.Globalization;

namespace SessionConnector.Cli;

/// <summary>
/// A parsed command line. A small hand-written parser: the surface is six verbs with a few options each, and this keeps
/// the NativeAOT binary free of a parsing library's dependencies and start-up work.
/// </summary>
internal sealed class ParsedCommand
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    private ParsedCommand(VerbSpec verb) => Verb = verb;

    public VerbSpec Verb { get; }

    public string? Argument { get; private set; }

    public bool WantsHelp => Has(Verbs.Help.Name);

    /// <summary>Parses <c>VERB [ID] [options]</c>; options may come in any order, as <c>--name value</c> or <c>--name=value</c>.</summary>
    /// <exception cref="UsageException">An unknown verb or option, a missing value, a repeated option, a stray argument.</exception>
    public static ParsedCommand Parse(string[] args)
    {
        VerbSpec verb = Verbs.Find(args[0]) ?? throw new UsageException($"unknown verb '{args[0]}'; verbs: stats, purge, rotate, verify, inspect, delete (see sessionctl --help).");
        var command = new ParsedCommand(verb);
        var known = new Dictionary<string, OptionSpec>(StringComparer.Ordinal);
        foreach (OptionSpec o in Verbs.OptionsOf(verb)) known[o.Name] = o;

        for (int i = 1; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg == "-h") arg = Verbs.Help.Name;
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (command.Argument is not null) throw new UsageException($"unexpected argument '{arg}' for '{verb.Name}'; usage: {verb.Usage}");
                command.Argument = arg;
                continue;
            }

            string name = arg;
            string? value = null;
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }

            if (!known.TryGetValue(name, out OptionSpec? spec)) throw new UsageException($"unknown option '{name}' for '{verb.Name}'; see sessionctl {verb.Name} --help.");
            if (spec.ValueName is null)
            {
                if (value is not null) throw new UsageException($"option '{name}' takes no value.");
            }
            else if (value is null)
            {
                if (i + 1 >= args.Length) throw new UsageException($"option '{name}' needs a value ({spec.ValueName}).");
                value = args[++i];
            }

            if (!command._options.TryAdd(name, value)) throw new UsageException($"option '{name}' is given twice.");
        }

        return command;
    }

    public bool Has(string option) => _options.ContainsKey(option);

    public string? Value(string option) => _options.GetValueOrDefault(option);

    /// <summary>An integer option within bounds, or <paramref name="fallback"/> when absent.</summary>
    public long Number(string option, long min, long max, long fallback)
    {
        if (Value(option) is not { } text) return fallback;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n < min || n > max)
        {
            throw new UsageException($"option '{option}' needs a whole number from {min} to {max}; got '{text}'.");
        }

        return n;
    }
}
