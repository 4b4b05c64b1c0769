using System.CommandLine;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald inbound list</c> (alias <c>herald replies</c>): what people sent to the providers' numbers, and what Herald did.</summary>
internal static class InboundCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("inbound", "Look at inbound messages (replies, STOP, START, HELP) on a running Herald (docs/inbound.md)."));
        command.Aliases.Add("replies");
        command.Add(List(options));
        return command;
    }

    private static Command List(ClientOptions options)
    {
        var from = new Option<string?>("--from") { Description = "Only messages from this number (E.164, e.g. +4915155000000)." };
        var keyword = new Option<string?>("--keyword", "-k") { Description = "Only this keyword: stop, start, help, or reply (messages that are no keyword)." };
        keyword.AcceptOnlyFromAmong("stop", "start", "help", "reply");
        var paging = new PageOptions();
        var command = paging.AddTo(new Command("list", "List inbound messages, newest first: the keyword read, the message answered and the confirmation sent.") { from, keyword });
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var page = await context.Api.GetAsync("api/v1/inbound" + HeraldApiClient.Query([("from", parse.GetValue(from)), ("keyword", parse.GetValue(keyword)),
                .. paging.Query(parse)]), ct);
            if (context.Json)
            {
                context.WriteJson(page);
                return ExitCodes.Ok;
            }
            var items = Json.Items(page);
            if (items.Count == 0)
            {
                context.Out.MarkupLine("No inbound messages match. Providers forward them to the inboundUrl each provider shows (herald providers show).");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Received").AddColumn("From").AddColumn("Text").AddColumn("Keyword")
                .AddColumn("Answers").AddColumn("Confirmation").AddColumn("Note");
            foreach (var message in items)
            {
                var text = Json.Str(message, "text") ?? "";
                table.AddRow(Markup.Escape(Json.Time(Json.Str(message, "receivedAt"), context.Time)), Markup.Escape(Json.Str(message, "from") ?? ""),
                    Markup.Escape(text.Length > 40 ? text[..40] + "…" : text), Keyword(Json.Str(message, "keyword")),
                    Markup.Escape(Json.Str(message, "messageId") ?? "-"), Markup.Escape(Json.Str(message, "replyMessageId") ?? "-"),
                    Markup.Escape(Json.Str(message, "note") ?? ""));
            }
            context.Out.Write(table);
            PageOptions.WriteNext(context, page);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Keyword(string? keyword) => keyword switch
    {
        null => "[grey]reply[/]",
        "stop" => "[red]stop[/]",
        "start" => "[green]start[/]",
        _ => Markup.Escape(keyword),
    };
}
