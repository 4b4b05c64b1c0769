using System.CommandLine;

namespace Herald.Cli;

/// <summary>The <c>herald</c> command line.</summary>
internal static class HeraldCli
{
    /// <summary>The exit code for a command line that does not parse (unknown option, missing value).</summary>
    public const int UsageExitCode = 2;

    public static RootCommand Build() => new("Herald: a self-hosted SMS delivery and engagement server.")
    {
        ServeCommand.Create(),
        SimulateCommand.Create(),
        SendCommand.Create(),
        ProvidersCommand.Create(),
        ProviderGroupsCommand.Create(),
        SegmentsCommand.Create(),
        MessagesCommand.Create(),
        DlrCommand.Create(),
        KeysCommand.Create(),
        BackupCommand.CreateBackup(),
        BackupCommand.CreateRestore(),
        ContactsCommand.Create(),
        CampaignsCommand.Create(),
        JourneysCommand.Create(),
        InboundCommand.Create(),
        LinksCommand.Create(),
    };

    /// <summary>Parses and runs a command line; a usage error prints what is wrong and exits with <see cref="UsageExitCode"/>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0 && parse.CommandResult.Command is not RootCommand)
        {
            // One line per mistake and where to read more: the whole help would bury the line that matters.
            var command = string.Join(' ', parse.CommandResult.Command.Parents.OfType<Command>().Where(c => c is not RootCommand).Reverse()
                .Append(parse.CommandResult.Command).Select(c => c.Name));
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"herald {command}: {error.Message}");
            }
            await Console.Error.WriteLineAsync($"Run 'herald {command} --help' for its options.");
            return UsageExitCode;
        }
        var exitCode = await parse.InvokeAsync(Invocation(parse));
        return parse.Errors.Count > 0 ? UsageExitCode : exitCode;
    }

    /// <summary>
    /// <c>herald serve</c> handles SIGTERM and Ctrl+C itself: the host drains (sends in flight finish, unsent messages go back
    /// to the queue) for up to Herald:ShutdownTimeout. System.CommandLine would otherwise end the process 2 s after the signal.
    /// </summary>
    private static InvocationConfiguration? Invocation(ParseResult parse) =>
        parse.CommandResult.Command.Name == "serve" ? new InvocationConfiguration { ProcessTerminationTimeout = null } : null;
}
