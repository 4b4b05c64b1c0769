using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald journeys list|show|add|publish|pause|resume|report</c>: event-triggered journeys on a running Herald.</summary>
internal static class JourneysCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("journeys", "Write, publish and watch event-triggered journeys (e.g. the abandoned-cart reminder) on a running Herald."));
        command.Add(List(options));
        command.Add(Show(options));
        command.Add(Add(options));
        foreach (var (action, description) in new[]
        {
            ("publish", "Make the draft a new version that new entries take (running contacts finish on theirs) and activate the journey."),
            ("pause", "Hold the journey: nobody enters and no timer fires until it is resumed."),
            ("resume", "Continue a paused journey."),
        })
        {
            command.Add(Change(options, action, description));
        }
        command.Add(Report(options));
        return command;
    }

    private static Argument<string> IdArgument() => new("journey") { Description = "The journey's id (jrn_…)." };

    private static Command List(ClientOptions options)
    {
        var command = new Command("list", "List journeys, newest first.");
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var answer = await context.Api.GetAsync("api/v1/journeys", ct);
            if (context.Json)
            {
                context.WriteJson(answer);
                return ExitCodes.Ok;
            }
            var items = answer as JsonArray ?? [];
            if (items.Count == 0)
            {
                context.Out.MarkupLine("No journeys yet: add one with [bold]herald journeys add --from-file examples/abandoned-cart.json[/].");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Name").AddColumn("Id").AddColumn("Status").AddColumn("Version").AddColumn("Created");
            foreach (var j in items)
            {
                table.AddRow(Markup.Escape(Json.Str(j, "name") ?? ""), Markup.Escape(Json.Str(j, "id") ?? ""), Markup.Escape(Json.Str(j, "status") ?? ""),
                    Markup.Escape(Json.Str(j, "version") ?? "0"), Markup.Escape(Json.Time(Json.Str(j, "createdAt"), context.Time)));
            }
            context.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(ClientOptions options)
    {
        var id = IdArgument();
        var command = new Command("show", "Show a journey and its draft definition.") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var journey = await context.Api.GetAsync($"api/v1/journeys/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}", ct);
            if (context.Json)
            {
                context.WriteJson(journey);
                return ExitCodes.Ok;
            }
            Print(context, journey);
            context.Out.WriteLine(Json.Pretty(journey?["definition"]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Add(ClientOptions options)
    {
        var file = new Option<FileInfo>("--from-file", "-f")
        {
            Description = "A JSON journey: name, reEntry, goal, nodes (see docs/journeys.md and examples/abandoned-cart.json).",
            Required = true,
        };
        var publish = new Option<bool>("--publish") { Description = "Publish it at once (otherwise it stays a draft until herald journeys publish)." };
        var command = new Command("add", "Add a journey as a draft.") { file, publish };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var path = parse.GetRequiredValue(file);
            JsonNode? definition;
            try
            {
                definition = JsonNode.Parse(await File.ReadAllTextAsync(path.FullName, ct));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
            {
                throw new CliException(ExitCodes.Usage, $"Could not read {path.FullName}: {e.Message}");
            }
            var journey = await context.Api.PostAsync("api/v1/journeys", definition, ct);
            if (parse.GetValue(publish))
            {
                journey = await context.Api.PostAsync($"api/v1/journeys/{HeraldApiClient.Segment(Json.Str(journey, "id") ?? "")}/publish", null, ct);
            }
            if (context.Json)
            {
                context.WriteJson(journey);
                return ExitCodes.Ok;
            }
            if (Json.Str(journey, "status") == "active")
            {
                context.Out.MarkupLineInterpolated($"Added and published journey [bold]{Json.Str(journey, "name")}[/] ({Json.Str(journey, "id")}), version {Json.Str(journey, "version")}.");
            }
            else
            {
                context.Out.MarkupLineInterpolated($"Added journey [bold]{Json.Str(journey, "name")}[/] as a draft. Publish it with: herald journeys publish {Json.Str(journey, "id")}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Change(ClientOptions options, string action, string description)
    {
        var id = IdArgument();
        var command = new Command(action, description) { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var journey = await context.Api.PostAsync($"api/v1/journeys/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}/{action}", null, ct);
            if (context.Json)
            {
                context.WriteJson(journey);
                return ExitCodes.Ok;
            }
            Print(context, journey);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Report(ClientOptions options)
    {
        var id = IdArgument();
        var command = new Command("report", "What a journey achieved: entered, active per node, exits by reason, sent, converted, conversion rate.") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var report = await context.Api.GetAsync($"api/v1/journeys/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}/report", ct);
            if (context.Json)
            {
                context.WriteJson(report);
                return ExitCodes.Ok;
            }
            Print(context, report?["journey"]);
            var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn(new TableColumn("Count").RightAligned());
            table.AddRow("Entered", Json.Str(report, "entered") ?? "0");
            foreach (var (group, label) in new[] { ("activeByNode", "Active at"), ("exitedByReason", "Exited"), ("sentByNode", "Sent by"), ("skippedByReason", "Skipped") })
            {
                foreach (var (key, value) in report?[group] as JsonObject ?? [])
                {
                    table.AddRow(Markup.Escape($"{label}: {key}"), Markup.Escape(value?.ToJsonString() ?? ""));
                }
            }
            table.AddRow("Sent", Json.Str(report, "sent") ?? "0");
            table.AddRow("Converted", Json.Str(report, "converted") ?? "0");
            table.AddRow("Conversion rate", Json.Str(report, "conversionRate") is { } rate && double.TryParse(rate, CultureInfo.InvariantCulture, out var r)
                ? r.ToString("P1", CultureInfo.InvariantCulture) : "–");
            context.Out.Write(table);
            var edges = new Table().Border(TableBorder.Rounded).AddColumn("From").AddColumn("").AddColumn("To").AddColumn(new TableColumn("Contacts").RightAligned());
            foreach (var edge in report?["edges"] as JsonArray ?? [])
            {
                edges.AddRow(Markup.Escape(Json.Str(edge, "from") ?? ""), Markup.Escape(Json.Str(edge, "label") ?? ""), Markup.Escape(Json.Str(edge, "to") ?? ""),
                    Markup.Escape(Json.Str(edge, "count") ?? "0"));
            }
            context.Out.Write(edges);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(CliContext context, JsonNode? journey)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]Name[/]", Markup.Escape(Json.Str(journey, "name") ?? ""));
        grid.AddRow("[bold]Id[/]", Markup.Escape(Json.Str(journey, "id") ?? ""));
        grid.AddRow("[bold]Status[/]", Markup.Escape(Json.Str(journey, "status") ?? ""));
        grid.AddRow("[bold]Version[/]", Markup.Escape(Json.Str(journey, "version") ?? "0"));
        context.Out.Write(grid);
    }
}
