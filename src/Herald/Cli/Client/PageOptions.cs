using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Herald.Cli.Client;

/// <summary>
/// <c>--limit</c> and <c>--cursor</c> for a command that lists one page of a paged API list (<c>{"items", "next"}</c>), and the line
/// that tells how to get the next page.
/// </summary>
internal sealed class PageOptions(int max = 500)
{
    public Option<int> Limit { get; } = new("--limit", "-n") { Description = $"How many, 1 to {max}. Default: 50.", DefaultValueFactory = _ => 50 };

    public Option<string?> Cursor { get; } = new("--cursor") { Description = "Start after this cursor (the 'next' of a previous page)." };

    /// <summary>Adds the options to a command.</summary>
    public Command AddTo(Command command)
    {
        command.Add(Limit);
        command.Add(Cursor);
        return command;
    }

    /// <summary>The query parameters <c>limit</c> and <c>cursor</c>; a limit out of range is a usage error.</summary>
    public (string Name, string? Value)[] Query(ParseResult parse)
    {
        var size = parse.GetValue(Limit);
        if (size < 1 || size > max)
        {
            throw new CliException(ExitCodes.Usage, $"--limit must be between 1 and {max}.");
        }
        return [("limit", size.ToString(CultureInfo.InvariantCulture)), ("cursor", parse.GetValue(Cursor))];
    }

    /// <summary>Under a table: the option that shows the next page, when there is one.</summary>
    public static void WriteNext(CliContext context, JsonNode? page)
    {
        if (Json.Str(page, "next") is { } next)
        {
            context.Out.MarkupLineInterpolated($"[grey]More: --cursor {next}[/]");
        }
    }
}
