using System.CommandLine;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald keys create|list|revoke</c>.</summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("keys", "Manage API keys, each with a scope: admin, send or read."));
        command.Add(CreateKey(options));
        command.Add(List(options));
        command.Add(Revoke(options));
        return command;
    }

    private static Command CreateKey(ClientOptions options)
    {
        var name = new Option<string>("--name") { Description = "Who or what uses the key, e.g. ci (at most 64 characters).", Required = true };
        var scope = new Option<string>("--scope")
        {
            Description = "admin (everything), send (submit messages, read the ones it sent) or read (read everything, change nothing).",
            DefaultValueFactory = _ => "admin",
        };
        scope.AcceptOnlyFromAmong("admin", "send", "read");
        var command = new Command("create", "Create an API key; the key is shown once.") { name, scope };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var key = await context.Api.PostAsync("api/v1/keys", new JsonObject { ["name"] = parse.GetRequiredValue(name), ["scope"] = parse.GetValue(scope) }, ct);
            if (context.Json)
            {
                context.WriteJson(key);
                return ExitCodes.Ok;
            }
            context.Out.MarkupLineInterpolated($"Created key [bold]{Json.Str(key, "id")}[/] ({Json.Str(key, "name")}, scope {Json.Str(key, "scope")}). [yellow]The key is shown only now:[/]");
            // On a line of its own, unstyled, so that it can be copied whole.
            Console.Out.WriteLine(Json.Str(key, "key"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(ClientOptions options)
    {
        var command = new Command("list", "List API keys (their prefix only; a key cannot be shown again).");
        command.SetClientAction(options, async (context, _, ct) =>
        {
            var answer = await context.Api.GetAsync("api/v1/keys", ct);
            if (context.Json)
            {
                context.WriteJson(answer);
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Id").AddColumn("Name").AddColumn("Prefix").AddColumn("Scope").AddColumn("Created").AddColumn("Revoked");
            foreach (var key in Json.Items(answer))
            {
                var revoked = Json.Str(key, "revokedAt");
                table.AddRow(Markup.Escape(Json.Str(key, "id") ?? ""), Markup.Escape(Json.Str(key, "name") ?? ""), Markup.Escape(Json.Str(key, "prefix") + "…"), Markup.Escape(Json.Str(key, "scope") ?? "admin"),
                    Markup.Escape(Json.Time(Json.Str(key, "createdAt"), context.Time)),
                    revoked is null ? "[green]active[/]" : $"[red]{Markup.Escape(Json.Time(revoked, context.Time))}[/]");
            }
            context.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Revoke(ClientOptions options)
    {
        var id = new Argument<string>("id") { Description = "The key's id (key_...), as keys list shows it." };
        var command = new Command("revoke", "Revoke an API key: calls with it are refused from now on (revoking the key in use is allowed).") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var key = parse.GetRequiredValue(id);
            await context.Api.DeleteAsync($"api/v1/keys/{HeraldApiClient.Segment(key)}", ct);
            if (context.Json)
            {
                context.WriteJson(new JsonObject { ["revoked"] = key });
            }
            else
            {
                context.Out.MarkupLineInterpolated($"Revoked key [bold]{key}[/].");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
