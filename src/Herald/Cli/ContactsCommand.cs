using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald contacts import|list|show|opt-out</c>.</summary>
internal static class ContactsCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("contacts", "Import, list and look at contacts."));
        command.Add(Import(options));
        command.Add(List(options));
        command.Add(Show(options));
        command.Add(OptOut(options));
        return command;
    }

    private static Command Import(ClientOptions options)
    {
        var file = new Argument<FileInfo>("file") { Description = "The CSV: a header row with a phone column; other columns become attributes, timezone, locale or consent.<category>." };
        var mapping = new Option<string?>("--mapping") { Description = "CSV column → target as JSON, e.g. '{\"Mobile\":\"phone\",\"Opt-in\":\"consent.promotional\"}'." };
        var noWait = new Option<bool>("--no-wait") { Description = "Answer with the import id at once instead of following it to the end." };
        var command = new Command("import", "Import contacts from a CSV file: a progress bar while the server reads it, then the counts.") { file, mapping, noWait };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var csv = parse.GetRequiredValue(file);
            if (!csv.Exists)
            {
                throw new CliException(ExitCodes.Usage, $"{csv.FullName} does not exist.");
            }
            JsonNode? import;
            await using (var stream = csv.OpenRead())
            {
                import = await context.Api.PostStreamAsync("api/v1/contacts/import" + HeraldApiClient.Query(("mapping", parse.GetValue(mapping))), stream, "text/csv", ct);
            }
            var id = Json.Str(import, "id") ?? throw new CliException(ExitCodes.Api, "Herald answered without an import id.");
            if (parse.GetValue(noWait))
            {
                WriteImport(context, import!);
                return ExitCodes.Ok;
            }
            // The file's size bounds the rows: the bar moves with the rows read, against a line count taken once.
            var lines = Math.Max(1, File.ReadLines(csv.FullName).LongCount() - 1);
            async Task<JsonNode?> PollAsync() => await context.Api.GetAsync($"api/v1/imports/{HeraldApiClient.Segment(id)}", ct);
            if (context.Live)
            {
                await context.Out.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"Importing {csv.Name}", maxValue: lines);
                        while (Json.Str(import, "status") == "running")
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(500), context.Time, ct);
                            import = await PollAsync();
                            task.Value = Math.Min(lines, import?["rows"]?.GetValue<long>() ?? 0);
                            task.Description = $"Importing {csv.Name}: {import?["rows"]?.GetValue<long>() ?? 0:N0} rows";
                        }
                        task.Value = lines;
                        task.StopTask();
                    });
            }
            else
            {
                while (Json.Str(import, "status") == "running")
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), context.Time, ct);
                    import = await PollAsync();
                }
            }
            WriteImport(context, import!);
            return Json.Str(import, "status") == "completed" ? ExitCodes.Ok : ExitCodes.Api;
        });
        return command;
    }

    private static void WriteImport(CliContext context, JsonNode import)
    {
        if (context.Json)
        {
            context.WriteJson(import);
            return;
        }
        long Count(string name) => import[name]?.GetValue<long>() ?? 0;
        var status = Json.Str(import, "status");
        var color = status switch { "completed" => "green", "failed" => "red", _ => "yellow" };
        context.Out.MarkupLineInterpolated(
            $"Import [bold]{Json.Str(import, "id")}[/] [{color}]{status}[/]: {Count("rows"):N0} rows, {Count("imported"):N0} imported, {Count("updated"):N0} updated, {Count("failed"):N0} failed");
        foreach (var error in (import["errors"] as JsonArray ?? []).Take(10))
        {
            var row = error?["row"]?.GetValue<long>() ?? 0;
            context.Out.MarkupLineInterpolated($"  [red]{(row == 0 ? "" : $"row {row}: ")}{Json.Str(error, "error")}[/]");
        }
        if (Count("failed") > 0 && status != "running")
        {
            context.Out.MarkupLineInterpolated($"[grey]The refused rows: GET {Json.Str(import, "errorsCsv")}[/]");
        }
    }

    private static Command List(ClientOptions options)
    {
        var q = new Option<string?>("--search", "-q") { Description = "Text in the phone, externalId or attributes." };
        var phone = new Option<string?>("--phone") { Description = "Only this number (E.164)." };
        var externalId = new Option<string?>("--external-id") { Description = "Only this externalId." };
        var paging = new PageOptions();
        var command = paging.AddTo(new Command("list", "List contacts, newest first.") { q, phone, externalId });
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var page = await context.Api.GetAsync("api/v1/contacts" + HeraldApiClient.Query([("q", parse.GetValue(q)), ("phone", parse.GetValue(phone)),
                ("externalId", parse.GetValue(externalId)), .. paging.Query(parse)]), ct);
            if (context.Json)
            {
                context.WriteJson(page);
                return ExitCodes.Ok;
            }
            var items = Json.Items(page);
            if (items.Count == 0)
            {
                context.Out.MarkupLine("No contacts match.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Id").AddColumn("Phone").AddColumn("External id").AddColumn("Country")
                .AddColumn("Time zone").AddColumn("Promotional").AddColumn("Attributes");
            foreach (var contact in items)
            {
                var attributes = contact?["attributes"]?.ToJsonString() ?? "{}";
                table.AddRow(Markup.Escape(Json.Str(contact, "id") ?? ""), Markup.Escape(Json.Str(contact, "phone") ?? ""), Markup.Escape(Json.Str(contact, "externalId") ?? ""),
                    Markup.Escape(Json.Str(contact, "country") ?? ""), Markup.Escape(Json.Str(contact, "timezone") ?? ""),
                    Consent(contact?["consent"]?["promotional"]), Markup.Escape(attributes.Length > 60 ? attributes[..60] + "…" : attributes));
            }
            context.Out.Write(table);
            PageOptions.WriteNext(context, page);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Consent(JsonNode? consent) => consent?["granted"]?.GetValue<bool>() switch
    {
        true => "[green]granted[/]",
        false => "[red]withdrawn[/]",
        null => "[grey]-[/]",
    };

    private static Command Show(ClientOptions options)
    {
        var id = new Argument<string>("id") { Description = "The contact id, or a phone number (E.164)." };
        var command = new Command("show", "Show a contact: attributes, consent and event counts.") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var contact = await FindAsync(context, parse.GetRequiredValue(id), ct);
            var events = await context.Api.GetAsync($"api/v1/contacts/{HeraldApiClient.Segment(Json.Str(contact, "id")!)}/events?limit=20", ct);
            if (context.Json)
            {
                context.WriteJson(new JsonObject { ["contact"] = contact?.DeepClone(), ["events"] = events?.DeepClone() });
                return ExitCodes.Ok;
            }
            var grid = new Grid().AddColumn().AddColumn();
            foreach (var (label, field) in new[] { ("Id", "id"), ("Phone", "phone"), ("External id", "externalId"), ("Country", "country"), ("Time zone", "timezone"), ("Locale", "locale") })
            {
                grid.AddRow(new Markup($"[bold]{label}[/]"), new Text(Json.Str(contact, field) ?? "-"));
            }
            foreach (var (name, value) in contact?["attributes"] as JsonObject ?? [])
            {
                grid.AddRow(new Markup($"[bold]{Markup.Escape(name)}[/]"), new Text(value?.ToJsonString().Trim('"') ?? ""));
            }
            foreach (var (category, consent) in contact?["consent"] as JsonObject ?? [])
            {
                grid.AddRow(new Markup($"[bold]consent.{Markup.Escape(category)}[/]"),
                    new Markup($"{Consent(consent)} [grey]({Markup.Escape(Json.Str(consent, "source") ?? "")}, {Markup.Escape(Json.Time(Json.Str(consent, "at"), context.Time))})[/]"));
            }
            context.Out.Write(new Panel(grid).Header("Contact").Border(BoxBorder.Rounded));
            var counts = events?["counts"] as JsonArray ?? [];
            if (counts.Count > 0)
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumn("Event").AddColumn("Count").AddColumn("Last");
                foreach (var count in counts)
                {
                    table.AddRow(Markup.Escape(Json.Str(count, "name") ?? ""), (count?["count"]?.GetValue<long>() ?? 0).ToString("N0", CultureInfo.InvariantCulture),
                        Markup.Escape(Json.Time(Json.Str(count, "lastAt"), context.Time)));
                }
                context.Out.Write(table);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A contact by its id, or by its phone when <paramref name="key"/> starts with +.</summary>
    private static async Task<JsonNode?> FindAsync(CliContext context, string key, CancellationToken ct)
    {
        key = key.Trim();
        if (key.StartsWith('+'))
        {
            return Json.Items(await context.Api.GetAsync("api/v1/contacts" + HeraldApiClient.Query(("phone", key)), ct)).FirstOrDefault()
                ?? throw new CliException(ExitCodes.Api, $"No contact has the phone {key}.");
        }
        return await context.Api.GetAsync($"api/v1/contacts/{HeraldApiClient.Segment(key)}", ct);
    }

    private static Command OptOut(ClientOptions options)
    {
        var id = new Argument<string>("contact") { Description = "The contact id (ct_…), or a phone number (E.164)." };
        var command = new Command("opt-out",
            "Opt a contact out of promotional messages, as an inbound STOP does but without a confirmation text: a suppression with reason opt-out, and promotional consent withdrawn.")
        { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var contact = await FindAsync(context, parse.GetRequiredValue(id), ct);
            var contactId = Json.Str(contact, "id") ?? throw new CliException(ExitCodes.Api, "Herald answered without a contact id.");
            var entry = await context.Api.PostAsync($"api/v1/contacts/{HeraldApiClient.Segment(contactId)}/opt-out", null, ct);
            if (context.Json)
            {
                context.WriteJson(entry);
                return ExitCodes.Ok;
            }
            var categories = string.Join(", ", (entry?["categories"] as JsonArray ?? []).Select(c => c?.ToString()));
            context.Out.MarkupLineInterpolated(
                $"Opted out [bold]{Json.Str(entry, "phone") ?? Json.Str(contact, "phone")}[/] ({contactId}): suppressed for {categories} messages, reason {Json.Str(entry, "reason")}.");
            context.Out.MarkupLine("[grey]An inbound START from the number lifts it (or DELETE /api/v1/suppressions/{phone}).[/]");
            return ExitCodes.Ok;
        });
        return command;
    }
}
