using System.CommandLine;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald campaigns list|show|add|launch|pause|resume|cancel|test|report</c>: campaigns on a running Herald.</summary>
internal static class CampaignsCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("campaigns", "Write, launch and watch SMS campaigns on a running Herald."));
        command.Add(List(options));
        command.Add(Show(options));
        command.Add(Add(options));
        foreach (var (action, description) in new[]
        {
            ("launch", "Freeze the audience and start the campaign (or schedule it, when it has a schedule)."),
            ("pause", "Stop sending for now; messages not yet sent go back to the campaign."),
            ("resume", "Continue a paused campaign."),
            ("cancel", "Stop for good: recipients not yet sent are cancelled."),
        })
        {
            command.Add(Change(options, action, description));
        }
        command.Add(Test(options));
        command.Add(Report(options));
        return command;
    }

    private static Argument<string> IdArgument() => new("campaign") { Description = "The campaign's id (cmp_…)." };

    private static Command List(ClientOptions options)
    {
        var status = new Option<string?>("--status") { Description = "Only campaigns in this state: draft, scheduled, running, paused, completed, cancelled." };
        var command = new Command("list", "List campaigns, newest first.") { status };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var answer = await context.Api.GetAsync("api/v1/campaigns" + HeraldApiClient.Query(("status", parse.GetValue(status))), ct);
            if (context.Json)
            {
                context.WriteJson(answer);
                return ExitCodes.Ok;
            }
            var items = answer as JsonArray ?? [];
            if (items.Count == 0)
            {
                context.Out.MarkupLine("No campaigns yet: write one as JSON and add it with [bold]herald campaigns add --from-file offer.json[/].");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Name").AddColumn("Id").AddColumn("Status").AddColumn("Audience").AddColumn("Created");
            foreach (var c in items)
            {
                table.AddRow(Markup.Escape(Json.Str(c, "name") ?? ""), Markup.Escape(Json.Str(c, "id") ?? ""), Markup.Escape(Json.Str(c, "status") ?? ""),
                    Markup.Escape(Json.Str(c, "audienceCount") ?? ""), Markup.Escape(Json.Time(Json.Str(c, "createdAt"), context.Time)));
            }
            context.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(ClientOptions options)
    {
        var id = IdArgument();
        var command = new Command("show", "Show a campaign and its definition.") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var campaign = await context.Api.GetAsync($"api/v1/campaigns/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}", ct);
            if (context.Json)
            {
                context.WriteJson(campaign);
                return ExitCodes.Ok;
            }
            Print(context, campaign);
            context.Out.WriteLine(Json.Pretty(campaign?["definition"]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Add(ClientOptions options)
    {
        var file = new Option<FileInfo>("--from-file", "-f")
        {
            Description = "A JSON campaign: name, segmentId | contactIds | allContacts, body, provider, type, schedule, throttle, endAt (see docs/campaigns.md).",
            Required = true,
        };
        var command = new Command("add", "Add a campaign as a draft (launch it with herald campaigns launch).") { file };
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
            var campaign = await context.Api.PostAsync("api/v1/campaigns", definition, ct);
            if (context.Json)
            {
                context.WriteJson(campaign);
                return ExitCodes.Ok;
            }
            context.Out.MarkupLineInterpolated($"Added campaign [bold]{Json.Str(campaign, "name")}[/] as a draft. Launch it with: herald campaigns launch {Json.Str(campaign, "id")}");
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
            var campaign = await context.Api.PostAsync($"api/v1/campaigns/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}/{action}", null, ct);
            if (context.Json)
            {
                context.WriteJson(campaign);
                return ExitCodes.Ok;
            }
            Print(context, campaign);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Test(ClientOptions options)
    {
        var id = IdArgument();
        var to = new Option<string>("--to") { Description = "Numbers to send the test to, comma-separated (at most 10).", Required = true };
        var command = new Command("test", "Send the campaign's message to a few numbers now (not to its audience).") { id, to };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var numbers = new JsonArray([.. parse.GetRequiredValue(to).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(n => (JsonNode?)JsonValue.Create(n))]);
            var sent = await context.Api.PostAsync($"api/v1/campaigns/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}/test", new JsonObject { ["numbers"] = numbers }, ct);
            if (context.Json)
            {
                context.WriteJson(sent);
                return ExitCodes.Ok;
            }
            foreach (var message in sent?["messages"] as JsonArray ?? [])
            {
                context.Out.MarkupLineInterpolated($"Sent a test to {Json.Str(message, "to")}: message {Json.Str(message, "messageId")} (follow it with herald messages show {Json.Str(message, "messageId")}).");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Report(ClientOptions options)
    {
        var id = IdArgument();
        var watch = new Option<bool>("--watch", "-w") { Description = "Follow a running campaign with a progress bar until it completes, pauses or is cancelled." };
        var command = new Command("report", "What a campaign achieved: recipients, messages by state, skips by reason, delivery rate.") { id, watch };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var path = $"api/v1/campaigns/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}/report";
            var report = await context.Api.GetAsync(path, ct);
            if (parse.GetValue(watch) && context.Live && IsActive(report))
            {
                await context.Out.Progress().AutoClear(false).StartAsync(async progress =>
                {
                    var task = progress.AddTask("Sending", maxValue: Math.Max(1, Number(report, "audience")));
                    while (IsActive(report))
                    {
                        var done = Handled(report);
                        task.Value = done;
                        task.Description = $"{Json.Path(report, "campaign.status")}: {done:N0} of {Number(report, "audience"):N0} handled, {Number(report?["messages"], "delivered"):N0} delivered";
                        await Task.Delay(TimeSpan.FromSeconds(1), context.Time, ct);
                        report = await context.Api.GetAsync(path, ct);
                    }
                    task.Value = Handled(report);
                    task.StopTask();
                });
            }
            else if (parse.GetValue(watch) && !context.Live)
            {
                while (IsActive(report))
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), context.Time, ct);
                    report = await context.Api.GetAsync(path, ct);
                }
            }
            if (context.Json)
            {
                context.WriteJson(report);
                return ExitCodes.Ok;
            }
            Print(context, report?["campaign"]);
            var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn(new TableColumn("Count").RightAligned());
            table.AddRow("Audience", Number(report, "audience").ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            foreach (var group in new[] { "recipients", "messages", "skippedByReason", "deferredByReason", "failuresByReason" })
            {
                foreach (var (key, value) in report?[group] as JsonObject ?? [])
                {
                    table.AddRow(Markup.Escape($"{group switch { "recipients" => "Recipients", "messages" => "Messages", "skippedByReason" => "Skipped", "deferredByReason" => "Deferred", _ => "Failed" }}: {key}"),
                        Markup.Escape(value?.ToJsonString() ?? ""));
                }
            }
            table.AddRow("Delivery rate", Json.Str(report, "deliveryRate") is { } rate && double.TryParse(rate, System.Globalization.CultureInfo.InvariantCulture, out var r)
                ? r.ToString("P1", System.Globalization.CultureInfo.InvariantCulture) : "–");
            table.AddRow("DLR latency p50 / p95 (ms)", $"{Json.Str(report, "dlrLatencyP50Ms") ?? "–"} / {Json.Str(report, "dlrLatencyP95Ms") ?? "–"}");
            context.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static bool IsActive(JsonNode? report) => Json.Path(report, "campaign.status") is "running" or "scheduled";

    private static long Handled(JsonNode? report) =>
        Number(report?["recipients"], "queued") + Number(report?["recipients"], "skipped") + Number(report?["recipients"], "cancelled");

    private static long Number(JsonNode? node, string property) =>
        long.TryParse(Json.Str(node, property), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static void Print(CliContext context, JsonNode? campaign)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("[bold]Name[/]", Markup.Escape(Json.Str(campaign, "name") ?? ""));
        grid.AddRow("[bold]Id[/]", Markup.Escape(Json.Str(campaign, "id") ?? ""));
        grid.AddRow("[bold]Status[/]", Markup.Escape((Json.Str(campaign, "status") ?? "") + (Json.Str(campaign, "statusReason") is { } why ? $" ({why})" : "")));
        grid.AddRow("[bold]Audience[/]", Markup.Escape(Json.Str(campaign, "audienceCount") ?? "0"));
        context.Out.Write(grid);
    }
}
