using System.CommandLine;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald campaigns list|show|add|launch|pause|resume|cancel|test|dry-run|report</c>: campaigns on a running Herald.</summary>
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
        command.Add(DryRun(options));
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

    private static Command DryRun(ClientOptions options)
    {
        var id = IdArgument();
        var command = new Command("dry-run", "What launching now would do: who would get it, who would not and why, SMS segments, cost and 5 samples. Sends nothing.") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var answer = await context.Api.PostAsync($"api/v1/campaigns/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}/dry-run", null, ct);
            if (context.Json)
            {
                context.WriteJson(answer);
                return ExitCodes.Ok;
            }
            var n = System.Globalization.CultureInfo.InvariantCulture;
            var counts = new Table().Border(TableBorder.Rounded).Title("Dry run, as of " + Markup.Escape(Json.Time(Json.Str(answer, "evaluatedAt"), context.Time)))
                .AddColumn("").AddColumn(new TableColumn("Count").RightAligned());
            counts.AddRow("Audience", Number(answer, "audience").ToString("N0", n));
            if (Number(answer, "evaluated") < Number(answer, "audience"))
            {
                counts.AddRow("Evaluated (the first by id)", Number(answer, "evaluated").ToString("N0", n));
            }
            counts.AddRow("[bold]Would send[/]", $"[bold]{Number(answer, "wouldSend").ToString("N0", n)}[/]");
            counts.AddRow("  right away", Number(answer, "wouldSendNow").ToString("N0", n));
            foreach (var (reason, value) in answer?["deferred"] as JsonObject ?? [])
            {
                counts.AddRow(Markup.Escape($"  deferred: {reason}"), Markup.Escape(value?.ToJsonString() ?? ""));
            }
            foreach (var (reason, value) in answer?["skipped"] as JsonObject ?? [])
            {
                counts.AddRow(Markup.Escape($"Skipped: {reason}"), Markup.Escape(value?.ToJsonString() ?? ""));
            }
            counts.AddRow("SMS segments", Number(answer, "segments").ToString("N0", n));
            if (answer?["estimatedCost"] is JsonObject cost)
            {
                counts.AddRow("Estimated cost", Markup.Escape($"{Json.Str(cost, "amount")} {Json.Str(cost, "currency")}".Trim()
                    + (Number(cost, "unpricedSegments") > 0 ? $" (+{Number(cost, "unpricedSegments"):N0} segments without a price)" : "")));
            }
            context.Out.Write(counts);
            var samples = new Table().Border(TableBorder.Rounded).Title("Samples").AddColumn("To").AddColumn("Message").AddColumn("Segments").AddColumn("Encoding").AddColumn("Outcome");
            foreach (var sample in answer?["samples"] as JsonArray ?? [])
            {
                samples.AddRow(Markup.Escape(Json.Str(sample, "to") ?? ""), Markup.Escape(Json.Str(sample, "body") ?? "–"), Markup.Escape(Json.Str(sample, "segments") ?? ""),
                    Markup.Escape(Json.Str(sample, "encoding") ?? "–"),
                    Markup.Escape((Json.Str(sample, "outcome") ?? "") + (Json.Str(sample, "reason") is { } reason ? $": {reason}" : "")));
            }
            context.Out.Write(samples);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Report(ClientOptions options)
    {
        var id = IdArgument();
        var watch = new Option<bool>("--watch", "-w") { Description = "Follow a running campaign with a progress bar until it completes, pauses or is cancelled." };
        var csv = new Option<bool>("--csv") { Description = "Print the report as CSV (a row per group: sent, each variant, control with the lift, statuses), e.g. > report.csv." };
        var command = new Command("report", "What a campaign achieved: recipients, messages by state, skips by reason, delivery rate, clicks, conversions, A/B variants and lift over control.")
        {
            id, watch, csv,
        };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var path = $"api/v1/campaigns/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}/report";
            if (parse.GetValue(csv))
            {
                Console.Out.Write(await context.Api.GetTextAsync(path + ".csv", ct));
                Console.Out.Flush();
                return ExitCodes.Ok;
            }
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
            PrintResults(context, report?["results"]);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Clicks, conversions, each variant and the lift over control.</summary>
    private static void PrintResults(CliContext context, JsonNode? results)
    {
        if (results is null)
        {
            return;
        }
        var goal = Json.Path(results, "goal.event");
        var variants = new Table().Border(TableBorder.Rounded).Title("Results").AddColumn("Variant").AddColumn(new TableColumn("Sent").RightAligned())
            .AddColumn(new TableColumn("Delivered").RightAligned()).AddColumn(new TableColumn("Clicked").RightAligned())
            .AddColumn(new TableColumn(goal is null ? "Converted (no goal)" : $"Converted ({goal})").RightAligned());
        foreach (var v in results["variants"] as JsonArray ?? [])
        {
            variants.AddRow(Markup.Escape((Json.Str(v, "name") ?? "") + (v?["winner"]?.GetValue<bool>() == true ? " (winner)" : "")), Count(v, "sent"),
                Count(v, "delivered"), $"{Count(v, "clicked")} ({Percent(v, "clickRate")})", goal is null ? "–" : $"{Count(v, "converted")} ({Percent(v, "conversionRate")})");
        }
        variants.AddRow("[bold]All sent[/]", Count(results, "sent"), Count(results, "delivered"), $"{Count(results, "clicked")} ({Percent(results, "clickRate")})",
            goal is null ? "–" : $"{Count(results, "conversions")} ({Percent(results, "conversionRate")})");
        if (results["control"] is { } control)
        {
            variants.AddRow("Control (held out)", Count(control, "heldOut"), "–", "–", goal is null ? "–" : $"{Count(control, "converted")} ({Percent(control, "rate")})");
        }
        context.Out.Write(variants);
        if (Json.Path(results, "abTest.winner") is { } winner)
        {
            context.Out.MarkupLineInterpolated($"A/B winner: [bold]{winner}[/]: {Json.Path(results, "abTest.reason")}");
        }
        else if (results["abTest"] is { } ab)
        {
            context.Out.MarkupLineInterpolated($"A/B test phase ({Json.Str(ab, "testPercent")} % of the audience): the winner by {Json.Str(ab, "winnerBy")} is chosen {Json.Str(ab, "waitHours")} h after it was sent.");
        }
        if (results["control"]?["lift"] is { } lift)
        {
            context.Out.MarkupLineInterpolated(
                $"Lift over control: {Points(lift, "difference")} (95 % CI {Points(lift, "low")} to {Points(lift, "high")}){(lift["significant"]?.GetValue<bool>() == true ? ", significant" : ", not significant")}.");
        }
    }

    private static string Count(JsonNode? node, string property) => Number(node, property).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    private static string Percent(JsonNode? node, string property) =>
        node?[property] is JsonValue v && v.TryGetValue<double>(out var rate) ? rate.ToString("P1", System.Globalization.CultureInfo.InvariantCulture) : "–";

    private static string Points(JsonNode? node, string property) =>
        node?[property] is JsonValue v && v.TryGetValue<double>(out var share)
            ? (share * 100).ToString("+0.0;-0.0;0.0", System.Globalization.CultureInfo.InvariantCulture) + " pp" : "–";

    private static bool IsActive(JsonNode? report) => Json.Path(report, "campaign.status") is "running" or "scheduled";

    private static long Handled(JsonNode? report) =>
        Number(report?["recipients"], "queued") + Number(report?["recipients"], "skipped") + Number(report?["recipients"], "cancelled")
        + Number(report?["recipients"], "control");

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
