using System;
using System.Threading;
using System.Threading.Tasks;
using SessionConnector.Storage;

namespace SessionConnector.Cli;

/// <summary>Entry point: parse, run one verb, map every failure to an exit code and a message on stderr.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.Write(Verbs.GeneralHelp());
            return ExitCodes.Usage;
        }

        if (args[0] is "--help" or "-h" or "help")
        {
            Console.Out.Write(Verbs.GeneralHelp());
            return ExitCodes.Ok;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Stop between records rather than die mid-write; a second Ctrl+C kills the process.
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };

        try
        {
            ParsedCommand command = ParsedCommand.Parse(args);
            if (command.WantsHelp)
            {
                Console.Out.Write(Verbs.HelpOf(command.Verb));
                return ExitCodes.Ok;
            }

            return await Commands.RunAsync(command, cancel.Token).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            return Fail(e.Message, e.ExitCode);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return Fail("interrupted; what was done stays done, and running the command again continues.", ExitCodes.Interrupted);
        }
        catch (SessionStorageException e)
        {
            return Fail("store failure: " + e.Message, ExitCodes.Store);
        }
        catch (NotSupportedException e)
        {
            return Fail(e.Message, ExitCodes.Store);
        }
    }

    private static int Fail(string message, int code)
    {
        Console.Error.WriteLine("sessionctl: " + message);
        return code;
    }
}
