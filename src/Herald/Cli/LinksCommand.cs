using System.CommandLine;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald links show|list</c>: short links (docs/links.md) and their clicks on a running Herald.</summary>
internal static class LinksCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("links", "Look at short links and their clicks on a running Herald (docs/links.md)."));
        command.Add(Show(options));
        command.Add(List(options));
        return command;
    }

    private static Command Show(ClientOptions options)
    {
        var code = new Argument<string>("code") { Description = "The code (the part after /l/), or the whole short link." };
        var command = new Command("show", "Show a short link: where it leads, its message and recipient, and its clicks.") { code };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var link = await context.Api.GetAsync($"api/v1/links/{HeraldApiClient.Segment(CodeOf(parse.GetRequiredValue(code)))}", ct);
            if (context.Json)
            {
                context.WriteJson(link);
                return ExitCodes.Ok;
            }
            var grid = new Grid().AddColumn().AddColumn();
            foreach (var (label, field) in new[]
            {
                ("Short link", "shortUrl"), ("Leads to", "url"), ("Message", "messageId"), ("To", "phone"), ("Campaign", "campaignId"), ("Journey", "journeyId"),
                ("Clicks", "clicks"),
            })
            {
                grid.AddRow(new Markup($"[bold]{label}[/]"), new Text(Json.Str(link, field) ?? "-"));
            }
            foreach (var (label, field) in new[] { ("First click", "firstClickAt"), ("Last click", "lastClickAt"), ("Made", "createdAt") })
            {
                grid.AddRow(new Markup($"[bold]{label}[/]"), new Text(Json.Str(link, field) is { } at ? Json.Time(at, context.Time) : "-"));
            }
            context.Out.Write(new Panel(grid).Header("Short link").Border(BoxBorder.Rounded));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(ClientOptions options)
    {
        var message = new Option<string?>("--message", "-m") { Description = "The links of this message (its id)." };
        var campaign = new Option<string?>("--campaign", "-c") { Description = "The links of this campaign (its id): one per recipient and URL, by code." };
        var paging = new PageOptions();
        var command = paging.AddTo(new Command("list", "List a message's or a campaign's short links with their clicks.") { message, campaign });
        command.Validators.Add(result =>
        {
            if ((result.GetValue(message) is null) == (result.GetValue(campaign) is null))
            {
                result.AddError("Give one of --message <id> or --campaign <id>.");
            }
        });
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var page = await context.Api.GetAsync("api/v1/links" + HeraldApiClient.Query([("message", parse.GetValue(message)), ("campaign", parse.GetValue(campaign)),
                .. paging.Query(parse)]), ct);
            if (context.Json)
            {
                context.WriteJson(page);
                return ExitCodes.Ok;
            }
            var items = Json.Items(page);
            if (items.Count == 0)
            {
                context.Out.MarkupLine("No short links: the message had no URL, or links were not shortened (docs/links.md).");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Code").AddColumn("To").AddColumn(new TableColumn("Clicks").RightAligned())
                .AddColumn("Last click").AddColumn("Leads to");
            foreach (var link in items)
            {
                var url = Json.Str(link, "url") ?? "";
                table.AddRow(Markup.Escape(Json.Str(link, "code") ?? ""), Markup.Escape(Json.Str(link, "phone") ?? ""), Markup.Escape(Json.Str(link, "clicks") ?? "0"),
                    Markup.Escape(Json.Str(link, "lastClickAt") is { } at ? Json.Time(at, context.Time) : "-"), Markup.Escape(url.Length > 60 ? url[..60] + "…" : url));
            }
            context.Out.Write(table);
            PageOptions.WriteNext(context, page);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The code of <c>https://host/l/aB3xK9q</c>, or the argument as it is.</summary>
    private static string CodeOf(string value)
    {
        value = value.Trim();
        var at = value.LastIndexOf("/l/", StringComparison.Ordinal);
        return at >= 0 ? value[(at + 3)..].TrimEnd('/') : value;
    }
}
