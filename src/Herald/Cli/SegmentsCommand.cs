using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald segments list|add|count</c>: saved rule trees (docs/segments.md) on a running Herald.</summary>
internal static class SegmentsCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("segments", "Manage segments on a running Herald: saved rules that pick contacts (docs/segments.md)."));
        command.Add(List(options));
        command.Add(Add(options));
        command.Add(Count(options));
        return command;
    }

    private static Command List(ClientOptions options)
    {
        var command = new Command("list", "List the segments.");
        command.SetClientAction(options, async (context, _, ct) =>
        {
            var answer = await context.Api.GetAsync("api/v1/segments", ct);
            if (context.Json)
            {
                context.WriteJson(answer);
                return ExitCodes.Ok;
            }
            var items = Json.Items(answer);
            if (items.Count == 0)
            {
                context.Out.MarkupLine("No segments yet: add one with [bold]herald segments add --name Pune --rule '{\"attribute\":\"city\",\"op\":\"eq\",\"value\":\"Pune\"}'[/].");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Name").AddColumn("Id").AddColumn("Rule");
            foreach (var segment in items)
            {
                table.AddRow(Markup.Escape(Json.Str(segment, "name") ?? ""), Markup.Escape(Json.Str(segment, "id") ?? ""),
                    Markup.Escape(segment?["rule"]?.ToJsonString() ?? ""));
            }
            context.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Add(ClientOptions options)
    {
        var name = new Option<string>("--name", "-n") { Description = "The segment's name, e.g. \"Cart abandoners\".", Required = true };
        var rule = new Option<string?>("--rule") { Description = "The rule as JSON, e.g. '{\"country\":\"IN\"}'." };
        var ruleFile = new Option<FileInfo?>("--rule-file") { Description = "A file holding the rule as JSON." };
        var command = new Command("add", "Add a segment; a bad rule is refused with the path of each bad node.") { name, rule, ruleFile };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var ruleNode = ReadRule(parse.GetValue(rule), parse.GetValue(ruleFile));
            var segment = await context.Api.PostAsync("api/v1/segments", new JsonObject { ["name"] = parse.GetRequiredValue(name), ["rule"] = ruleNode }, ct);
            if (context.Json)
            {
                context.WriteJson(segment);
                return ExitCodes.Ok;
            }
            var id = Json.Str(segment, "id") ?? "";
            var count = await context.Api.GetAsync($"api/v1/segments/{HeraldApiClient.Segment(id)}/count", ct);
            context.Out.MarkupLineInterpolated($"Added segment [bold]{Json.Str(segment, "name")}[/] ({id}): {Number(count)} contact(s) now. Count it again with: herald segments count {id}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Count(ClientOptions options)
    {
        var id = new Argument<string>("segment") { Description = "The segment's id." };
        var command = new Command("count", "Count a segment's contacts now.") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var count = await context.Api.GetAsync($"api/v1/segments/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}/count", ct);
            if (context.Json)
            {
                context.WriteJson(count);
            }
            else
            {
                context.Out.WriteLine(Number(count));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Number(JsonNode? count) =>
        count?["count"]?.GetValue<long>().ToString("N0", CultureInfo.InvariantCulture) ?? "?";

    private static JsonNode ReadRule(string? text, FileInfo? file)
    {
        if ((text is null) == (file is null))
        {
            throw new CliException(ExitCodes.Usage, "Give the rule with either --rule '<json>' or --rule-file rule.json.");
        }
        if (file is not null && !file.Exists)
        {
            throw new CliException(ExitCodes.Usage, $"The rule file {file.FullName} does not exist.");
        }
        var json = text ?? File.ReadAllText(file!.FullName);
        try
        {
            return JsonNode.Parse(json) ?? throw new CliException(ExitCodes.Usage, "The rule is null; write a JSON object such as {\"country\":\"IN\"}.");
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Usage, $"The rule is not valid JSON: {ex.Message}");
        }
    }
}
