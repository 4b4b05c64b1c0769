using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald messages dead-letters</c> and <c>herald messages retry</c>.</summary>
internal static class DeadLetterCommands
{
    public static Command List(ClientOptions options)
    {
        var provider = new Option<string?>("--provider", "-p") { Description = "Only dead letters of this provider (id or nickname)." };
        var status = new Option<string?>("--status") { Description = "Only failed or only expired messages. Default: both." };
        var since = new Option<string?>("--since") { Description = "Only messages that ended since this time (ISO-8601) or age (30m, 24h, 7d)." };
        var limit = new Option<int>("--limit", "-n") { Description = "How many, 1 to 1000. Default: 50.", DefaultValueFactory = _ => 50 };
        var cursor = new Option<string?>("--cursor") { Description = "Start after this cursor (the 'next' of a previous page)." };
        var command = new Command("dead-letters", "List messages that ended failed or expired, newest first, with why and how many attempts.")
        {
            provider, status, since, limit, cursor,
        };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var page = await context.Api.GetAsync("api/v1/messages/dead-letters" + HeraldApiClient.Query(
                ("provider", parse.GetValue(provider)), ("status", parse.GetValue(status)), ("since", parse.GetValue(since)),
                ("limit", parse.GetValue(limit).ToString(CultureInfo.InvariantCulture)), ("cursor", parse.GetValue(cursor))), ct);
            if (context.Json)
            {
                context.WriteJson(page ?? new JsonObject());
                return ExitCodes.Ok;
            }
            var items = Json.Items(page);
            if (items.Count == 0)
            {
                context.Out.MarkupLine("No dead letters: no message ended failed or expired.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("Id").AddColumn("Ended").AddColumn("To").AddColumn("Provider").AddColumn("Status").AddColumn("Attempts").AddColumn("Reason");
            foreach (var item in items)
            {
                table.AddRow(
                    Markup.Escape(Json.Str(item, "id") ?? ""),
                    Markup.Escape(Json.Time(Json.Str(item, "failedAt"), context.Time)),
                    Markup.Escape(Json.Str(item, "to") ?? ""),
                    Markup.Escape(Json.Path(item, "provider.nickname") ?? Json.Path(item, "provider.id") ?? ""),
                    MessageFollower.StatusMarkup(Json.Str(item, "status")),
                    Markup.Escape(item?["attempts"]?.ToJsonString() ?? ""),
                    Markup.Escape(Json.Str(item, "reason") ?? ""));
            }
            context.Out.Write(table);
            if (Json.Str(page, "next") is { } next)
            {
                context.Out.MarkupLineInterpolated($"[grey]More: --cursor {next}[/]");
            }
            context.Out.MarkupLine("[grey]Retry one with: herald messages retry ID[/]");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Retry(ClientOptions options)
    {
        var id = new Argument<string>("id") { Description = "The id of a failed or expired message." };
        var command = new Command("retry", "Send a failed or expired message again: same id, a new attempt with fresh validity (a message in any other state is refused).")
        {
            id,
        };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var messageId = parse.GetRequiredValue(id);
            var answer = await context.Api.PostAsync($"api/v1/messages/{HeraldApiClient.Segment(messageId)}/retry", null, ct);
            if (context.Json)
            {
                context.WriteJson(answer ?? new JsonObject());
                return ExitCodes.Ok;
            }
            context.Out.MarkupLineInterpolated($"Requeued [bold]{messageId}[/]: a new attempt, valid until {Json.Time(Json.Str(answer, "validUntil"), context.Time)}.");
            context.Out.MarkupLineInterpolated($"[grey]Follow it with: herald messages show {messageId}[/]");
            return ExitCodes.Ok;
        });
        return command;
    }
}
