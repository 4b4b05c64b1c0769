using System.CommandLine;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald dlr tail</c>: follow delivery reports as they arrive.</summary>
internal static class DlrCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("dlr", "Delivery reports (DLRs) Herald received."));
        command.Add(Tail(options));
        return command;
    }

    private static Command Tail(ClientOptions options)
    {
        var provider = new Option<string?>("--provider", "-p") { Description = "Only reports to this provider's callback URL (id or nickname)." };
        var last = new Option<int>("--last", "-n") { Description = "Print this many recent reports first (0 to 1000). Default: 10.", DefaultValueFactory = _ => 10 };
        var interval = Durations.Option("--interval", "How often to ask for new reports", TimeSpan.FromSeconds(1));
        var command = new Command("tail", "Print delivery reports as they arrive (raw body and Herald's answer) until Ctrl+C: those Herald keeps (not applied cleanly, test SMS, one plain success in Herald:Dispatch:KeepSuccessBodiesOneIn). With --json, one JSON object per line.")
        {
            provider, last, interval,
        };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var count = parse.GetValue(last);
            if (count is < 0 or > 1000)
            {
                throw new CliException(ExitCodes.Usage, "--last must be between 0 and 1000.");
            }
            var providerFilter = parse.GetValue(provider);
            var nicknames = await NicknamesAsync(context, ct);
            if (providerFilter is not null)
            {
                // Fail early, with the API's words, for a provider that does not exist.
                await context.Api.GetAsync($"api/v1/providers/{HeraldApiClient.Segment(providerFilter)}", ct);
            }

            var first = await context.Api.GetAsync("api/v1/dlr" + HeraldApiClient.Query(("provider", providerFilter), ("limit", Math.Max(count, 1).ToString(System.Globalization.CultureInfo.InvariantCulture))), ct);
            var after = long.TryParse(Json.Str(first, "next"), out var n) ? n : 0;
            context.Notes.MarkupLineInterpolated($"Following delivery reports at {context.Api.Server}{(providerFilter is null ? "" : $" for {providerFilter}")} (Ctrl+C stops).");
            var recent = Json.Items(first).ToList();
            foreach (var item in recent.Skip(recent.Count - Math.Min(count, recent.Count)))
            {
                await PrintAsync(context, item!, nicknames, ct);
            }
            try
            {
                while (true)
                {
                    await Task.Delay(parse.GetValue(interval), context.Time, ct);
                    var page = await context.Api.GetAsync("api/v1/dlr" + HeraldApiClient.Query(("provider", providerFilter),
                        ("after", after.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("limit", "500")), ct);
                    foreach (var item in Json.Items(page))
                    {
                        await PrintAsync(context, item!, nicknames, ct);
                    }
                    if (long.TryParse(Json.Str(page, "next"), out var next))
                    {
                        after = next;
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Ok; // Ctrl+C
            }
        });
        return command;
    }

    private static async Task<Dictionary<string, string>> NicknamesAsync(CliContext context, CancellationToken ct) =>
        Json.Items(await context.Api.GetAsync("api/v1/providers", ct))
            .Where(p => Json.Str(p, "id") is not null)
            .ToDictionary(p => Json.Str(p, "id")!, p => Json.Str(p, "nickname") ?? "");

    private static async Task PrintAsync(CliContext context, JsonNode item, Dictionary<string, string> nicknames, CancellationToken ct)
    {
        if (context.Json)
        {
            Console.Out.WriteLine(item.ToJsonString());
            await Console.Out.FlushAsync(ct);
            return;
        }
        var providerId = Json.Str(item, "providerId") ?? "";
        var provider = nicknames.TryGetValue(providerId, out var nickname) ? nickname : providerId;
        var result = item["result"];
        var answer = result is null ? "[yellow]pending[/]"
            : Json.Str(result, "status") switch
            {
                "success" => $"[green]success {Markup.Escape(Json.Str(result, "processed") ?? "")}[/]",
                { } other => $"[red]{Markup.Escape(other)} {Markup.Escape(Json.Str(result, "processed") ?? "")}[/]",
                null => Markup.Escape(result.ToJsonString()),
            };
        var body = Json.Str(item, "body") ?? "";
        var query = Json.Str(item, "query") ?? "";
        var raw = (query + (query.Length > 0 && body.Length > 0 ? " " : "") + body).ReplaceLineEndings(" ");
        var line = $"{Markup.Escape(Json.Clock(Json.Str(item, "receivedAt"), context.Time))} [bold]{Markup.Escape(provider)}[/] "
            + $"{Markup.Escape(Json.Str(item, "method") ?? "")} #{Markup.Escape(Json.Str(item, "id") ?? "")} {answer} {Markup.Escape(raw)}";
        if (context.Live)
        {
            context.Out.MarkupLine(line);
        }
        else
        {
            // Into a pipe or a log: one report per line, never wrapped, so that grep finds it whole.
            Console.Out.WriteLine(Markup.Remove(line));
        }
        await Console.Out.FlushAsync(ct);
    }
}
