using System.CommandLine;
using Spectre.Console;

namespace Herald.Cli.Client;

/// <summary>What a client command works with: the API, the consoles, the clock.</summary>
internal sealed class CliContext(HeraldApiClient api, IAnsiConsole output, IAnsiConsole error, bool json, TimeProvider time)
{
    public HeraldApiClient Api { get; } = api;

    /// <summary>Standard output (tables, or JSON with --json).</summary>
    public IAnsiConsole Out { get; } = output;

    /// <summary>Standard error (problems, notes that must not mix with --json output).</summary>
    public IAnsiConsole Error { get; } = error;

    public bool Json { get; } = json;

    public TimeProvider Time { get; } = time;

    /// <summary>Whether spinners and progress bars can be drawn (a terminal, not a pipe, and not --json).</summary>
    public bool Live => !Json && Out.Profile.Capabilities.Interactive && Out.Profile.Capabilities.Ansi;

    /// <summary>Writes JSON to standard output exactly, without markup or wrapping.</summary>
    public void WriteJson(System.Text.Json.Nodes.JsonNode? node)
    {
        Console.Out.WriteLine(Client.Json.Pretty(node));
        Console.Out.Flush();
    }

    /// <summary>A note for people: to standard output normally, to standard error with --json so the JSON stays clean.</summary>
    public IAnsiConsole Notes => Json ? Error : Out;

    /// <summary>
    /// A block of text under a header: a box as wide as the terminal, or, when standard output is not a terminal (a pipe,
    /// a file, a log), the header and the text as they are, so nothing is padded to the 200 columns a pipe gets.
    /// </summary>
    public void WriteBlock(string header, string text)
    {
        if (Console.IsOutputRedirected)
        {
            Out.MarkupLineInterpolated($"[bold]{header}[/]");
            Out.Write(new Text(text.TrimEnd() + "\n"));
            return;
        }
        Out.Write(new Panel(new Text(text)).Header(header).Border(BoxBorder.Rounded).Expand());
    }
}

/// <summary>Runs a client command: resolves the options, builds the client and turns failures into messages and exit codes.</summary>
internal static class CliRunner
{
    public static void SetClientAction(this Command command, ClientOptions options, Func<CliContext, ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction((parse, cancellationToken) => RunAsync(options, parse, action, cancellationToken));

    public static async Task<int> RunAsync(ClientOptions options, ParseResult parse, Func<CliContext, ParseResult, CancellationToken, Task<int>> action,
        CancellationToken cancellationToken)
    {
        var output = CreateConsole(Console.Out, Console.IsOutputRedirected);
        var error = CreateConsole(Console.Error, Console.IsErrorRedirected);
        try
        {
            var settings = options.Resolve(parse);
            using var api = new HeraldApiClient(settings);
            return await action(new CliContext(api, output, error, settings.Json, TimeProvider.System), parse, cancellationToken);
        }
        catch (CliException ex)
        {
            if (ex is ApiException { Problem: { } problem } && parse.GetValue(options.Json))
            {
                Console.Out.WriteLine(Json.Pretty(problem));
            }
            error.MarkupLineInterpolated($"[red]{ex.Message}[/]");
            foreach (var line in ex.Details)
            {
                error.MarkupLineInterpolated($"[red]  {line}[/]");
            }
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 130;
        }
    }

    private static IAnsiConsole CreateConsole(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        if (redirected)
        {
            // A pipe has no width; wide enough that ids and URLs are not wrapped for scripts and logs.
            console.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 40 ? columns : 200;
        }
        return console;
    }
}
