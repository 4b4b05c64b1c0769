using System.CommandLine;

namespace Herald.Cli;

/// <summary>The <c>herald</c> command line.</summary>
internal static class HeraldCli
{
    public static RootCommand Build() => new("Herald: a self-hosted SMS delivery and engagement server.")
    {
        ServeCommand.Create(),
        SimulateCommand.Create(),
    };
}
