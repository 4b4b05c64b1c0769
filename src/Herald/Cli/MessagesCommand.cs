using System.CommandLine;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald messages list|show|dead-letters|retry</c>.</summary>
internal static class MessagesCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("messages", "Look at messages and their delivery timelines."));
        command.Add(List(options));
        command.Add(Show(options));
        command.Add(DeadLetterCommands.List(options));
        command.Add(DeadLetterCommands.Retry(options));
        return command;
    }

    private static Command List(ClientOptions options)
    {
        var status = new Option<string?>("--status") { Description = "Only messages in this state (queued, dispatching, accepted, sent, delivered, undelivered, failed, expired, rejected)." };
        var provider = new Option<string?>("--provider", "-p") { Description = "Only messages through this provider (id or nickname)." };
        var to = new Option<string?>("--to") { Description = "Only messages to this number (E.164)." };
        var type = new Option<string?>("--type") { Description = "Only messages of this type (otp, txn, default, mkt, test)." };
        var campaign = new Option<string?>("--campaign") { Description = "Only messages of this campaign id." };
        var limit = new Option<int>("--limit", "-n") { Description = "How many (with --all: per page), 1 to 500. Default: 50.", DefaultValueFactory = _ => 50 };
        var cursor = new Option<string?>("--cursor") { Description = "Start after this cursor (the 'next' of a previous page)." };
        var all = new Option<bool>("--all") { Description = "Follow the pages to the end." };
        var command = new Command("list", "List messages, newest first.") { status, provider, to, type, campaign, limit, cursor, all };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var size = parse.GetValue(limit);
            if (size is < 1 or > 500)
            {
                throw new CliException(ExitCodes.Usage, "--limit must be between 1 and 500.");
            }
            var items = new JsonArray();
            string? next = parse.GetValue(cursor);
            async Task<bool> PageAsync()
            {
                var page = await context.Api.GetAsync("api/v1/messages" + HeraldApiClient.Query(
                    ("status", parse.GetValue(status)), ("provider", parse.GetValue(provider)), ("to", parse.GetValue(to)),
                    ("type", parse.GetValue(type)), ("campaign", parse.GetValue(campaign)), ("limit", size.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("cursor", next)), ct);
                foreach (var item in Json.Items(page).ToList())
                {
                    items.Add(item?.DeepClone());
                }
                next = Json.Str(page, "next");
                return next is not null;
            }

            if (!parse.GetValue(all))
            {
                await PageAsync();
            }
            else if (context.Live)
            {
                await context.Out.Progress().AutoClear(true).StartAsync(async progress =>
                {
                    var task = progress.AddTask("Fetching messages");
                    task.IsIndeterminate = true;
                    while (await PageAsync())
                    {
                        task.Description = $"Fetched {items.Count} messages";
                    }
                    task.StopTask();
                });
            }
            else
            {
                while (await PageAsync())
                {
                }
            }

            if (context.Json)
            {
                context.WriteJson(new JsonObject { ["items"] = items, ["next"] = next });
                return ExitCodes.Ok;
            }
            if (items.Count == 0)
            {
                context.Out.MarkupLine("No messages match.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("Id").AddColumn("Created").AddColumn("To").AddColumn("Type").AddColumn("Provider").AddColumn("Status");
            foreach (var message in items)
            {
                table.AddRow(
                    Markup.Escape(Json.Str(message, "id") ?? ""),
                    Markup.Escape(Json.Time(Json.Str(message, "createdAt"), context.Time)),
                    Markup.Escape(Json.Str(message, "to") ?? ""),
                    Markup.Escape(Json.Str(message, "type") ?? ""),
                    Markup.Escape(Json.Path(message, "provider.nickname") ?? Json.Path(message, "provider.id") ?? ""),
                    MessageFollower.StatusMarkup(Json.Str(message, "status")));
            }
            context.Out.Write(table);
            if (next is not null)
            {
                context.Out.MarkupLineInterpolated($"[grey]More: add --all, or --cursor {next}[/]");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(ClientOptions options)
    {
        var id = new Argument<string>("id") { Description = "The message id." };
        var command = new Command("show", "Show a message and its timeline (--json adds each event's raw detail: request, response, DLR).") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var message = await context.Api.GetAsync($"api/v1/messages/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}", ct) ?? new JsonObject();
            if (context.Json)
            {
                context.WriteJson(message);
                return ExitCodes.Ok;
            }
            context.Out.Write(MessageFollower.Summary(message, context.Time));
            context.Out.Write(MessageFollower.Timeline(message, context.Time));
            return ExitCodes.Ok;
        });
        return command;
    }
}
