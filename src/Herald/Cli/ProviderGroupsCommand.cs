using System.CommandLine;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald provider-groups list|show|add|remove</c>: ordered providers a message fails over between.</summary>
internal static class ProviderGroupsCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("provider-groups",
            "Manage provider groups on a running Herald: ordered providers a message sent with --provider-group fails over between."));
        command.Add(List(options));
        command.Add(Show(options));
        command.Add(Add(options));
        command.Add(Remove(options));
        return command;
    }

    private static Argument<string> IdArgument() => new("group") { Description = "The group's id or name." };

    private static Command List(ClientOptions options)
    {
        var command = new Command("list", "List the provider groups.");
        command.SetClientAction(options, async (context, _, ct) =>
        {
            var answer = await context.Api.GetAsync("api/v1/provider-groups", ct);
            if (context.Json)
            {
                context.WriteJson(answer);
                return ExitCodes.Ok;
            }
            var items = Json.Items(answer);
            if (items.Count == 0)
            {
                context.Out.MarkupLine("No provider groups yet: add one with [bold]herald provider-groups add --name otp-route --providers Primary,Backup[/].");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Name").AddColumn("Id").AddColumn("Providers (in order)").AddColumn("Fails over after");
            foreach (var group in items)
            {
                table.AddRow(Markup.Escape(Json.Str(group, "name") ?? ""), Markup.Escape(Json.Str(group, "id") ?? ""),
                    Markup.Escape(Members(group)), Markup.Escape($"{Json.Str(group, "failoverAfterAttempts")} attempt(s)"));
            }
            context.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(ClientOptions options)
    {
        var id = IdArgument();
        var command = new Command("show", "Show a provider group and its providers in failover order.") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var group = await context.Api.GetAsync($"api/v1/provider-groups/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}", ct);
            if (context.Json)
            {
                context.WriteJson(group);
                return ExitCodes.Ok;
            }
            Print(context, group);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Add(ClientOptions options)
    {
        var name = new Option<string>("--name", "-n") { Description = "A unique name, e.g. otp-route.", Required = true };
        var providers = new Option<string>("--providers") { Description = "Provider ids or nicknames, comma-separated, in failover order: the first is tried first.", Required = true };
        var failoverAfter = new Option<int?>("--failover-after") { Description = "Transient failures on one provider before the next attempt goes to the next provider (1 to 100). Default: the server's (2)." };
        var command = new Command("add", "Add a provider group.") { name, providers, failoverAfter };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var request = new JsonObject
            {
                ["name"] = parse.GetRequiredValue(name),
                ["providers"] = new JsonArray(parse.GetRequiredValue(providers).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
            };
            if (parse.GetValue(failoverAfter) is { } n)
            {
                request["failoverAfterAttempts"] = n;
            }
            var group = await context.Api.PostAsync("api/v1/provider-groups", request, ct);
            if (context.Json)
            {
                context.WriteJson(group);
                return ExitCodes.Ok;
            }
            context.Out.MarkupLineInterpolated($"Added provider group [bold]{Json.Str(group, "name")}[/]. Send to it with: herald send --provider-group {Json.Str(group, "name")} ...");
            Print(context, group);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove(ClientOptions options)
    {
        var id = IdArgument();
        var command = new Command("remove", "Remove a provider group (messages already sent to it stay on their current provider).") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var group = parse.GetRequiredValue(id);
            await context.Api.DeleteAsync($"api/v1/provider-groups/{HeraldApiClient.Segment(group)}", ct);
            if (context.Json)
            {
                context.WriteJson(new JsonObject { ["removed"] = group });
            }
            else
            {
                context.Out.MarkupLineInterpolated($"Removed provider group [bold]{group}[/].");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(CliContext context, JsonNode? group)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]Name[/]", Markup.Escape(Json.Str(group, "name") ?? ""));
        grid.AddRow("[bold]Id[/]", Markup.Escape(Json.Str(group, "id") ?? ""));
        grid.AddRow("[bold]Providers[/]", Markup.Escape(Members(group)));
        grid.AddRow("[bold]Fails over after[/]", Markup.Escape($"{Json.Str(group, "failoverAfterAttempts")} transient failure(s) on one provider"));
        context.Out.Write(grid);
    }

    private static string Members(JsonNode? group) =>
        string.Join(" → ", (group?["providers"] as JsonArray ?? []).Select(p => Json.Str(p, "nickname") ?? Json.Str(p, "id") ?? "?"));
}
