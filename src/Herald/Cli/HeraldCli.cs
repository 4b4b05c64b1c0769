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
        MessagesCommand.Create(),
        DlrCommand.Create(),
        KeysCommand.Create(),
    };

    /// <summary>Parses and runs a command line; a usage error prints what is wrong and exits with <see cref="UsageExitCode"/>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        var exitCode = await parse.InvokeAsync();
        return parse.Errors.Count > 0 ? UsageExitCode : exitCode;
    }
}
