using System.CommandLine;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald providers list|show|add|remove|test|export</c> against a running server.</summary>
internal static class ProvidersCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var command = options.AddTo(new Command("providers", "Manage SMS providers on a running Herald (the seed's Settings > Channels > SMS)."));
        command.Add(List(options));
        command.Add(Show(options));
        command.Add(Add(options));
        command.Add(Remove(options));
        command.Add(Test(options));
        command.Add(Export(options));
        return command;
    }

    private static Argument<string> IdArgument() => new("provider") { Description = "The provider's id or nickname." };

    private static Command List(ClientOptions options)
    {
        var command = new Command("list", "List the providers.");
        command.SetClientAction(options, async (context, _, ct) =>
        {
            var answer = await context.Api.GetAsync("api/v1/providers", ct);
            if (context.Json)
            {
                context.WriteJson(answer);
                return ExitCodes.Ok;
            }
            var items = Json.Items(answer);
            if (items.Count == 0)
            {
                context.Out.MarkupLine("No providers yet: add one with [bold]herald providers add --from-file provider.json[/].");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("Nickname").AddColumn("Id").AddColumn("Kind").AddColumn("Endpoint");
            foreach (var provider in items)
            {
                table.AddRow(Markup.Escape(Json.Str(provider, "nickname") ?? ""), Markup.Escape(Json.Str(provider, "id") ?? ""),
                    Markup.Escape(Json.Str(provider, "kind") ?? ""), Markup.Escape(Json.Path(provider, "settings.endpoint") ?? ""));
            }
            context.Out.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(ClientOptions options)
    {
        var id = IdArgument();
        var command = new Command("show", "Show a provider: its callback URL, placeholders and settings (secrets masked as ****).") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var provider = await context.Api.GetAsync($"api/v1/providers/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}", ct);
            if (context.Json)
            {
                context.WriteJson(provider);
                return ExitCodes.Ok;
            }
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("[bold]Nickname[/]", Markup.Escape(Json.Str(provider, "nickname") ?? ""));
            grid.AddRow("[bold]Id[/]", Markup.Escape(Json.Str(provider, "id") ?? ""));
            grid.AddRow("[bold]Kind[/]", Markup.Escape(Json.Str(provider, "kind") ?? ""));
            grid.AddRow("[bold]Callback URL[/]", Markup.Escape(Json.Str(provider, "callbackUrl") ?? ""));
            var placeholders = (provider?["customPlaceholders"] as JsonArray ?? []).Select(p => "$$" + p?.GetValue<string>()).ToList();
            grid.AddRow("[bold]Custom placeholders[/]", Markup.Escape(placeholders.Count == 0 ? "none" : string.Join(", ", placeholders)));
            grid.AddRow("[bold]Created[/]", Markup.Escape(Json.Time(Json.Str(provider, "createdAt"), context.Time)));
            grid.AddRow("[bold]Updated[/]", Markup.Escape(Json.Time(Json.Str(provider, "updatedAt"), context.Time)));
            context.Out.Write(grid);
            context.WriteBlock("Settings (secrets masked)", Json.Pretty(provider?["settings"]));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Add(ClientOptions options)
    {
        var file = new Option<string>("--from-file", "-f")
        {
            Description = "A JSON file (- for standard input): one provider as POST /api/v1/providers takes it, an array of them, or what `herald providers export` writes. ${NAME} references are filled from the environment.",
            Required = true,
        };
        var command = new Command("add", "Add providers from a JSON file.") { file };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var path = parse.GetRequiredValue(file);
            string text;
            try
            {
                text = path == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(path, ct);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Usage, $"cannot read {path}: {ex.Message}");
            }
            var providers = ProviderFiles.Read(text, path == "-" ? "standard input" : path);
            var missing = providers.SelectMany(p => ProviderFiles.FillFromEnvironment(p, Environment.GetEnvironmentVariable)).Distinct().ToList();
            if (missing.Count > 0)
            {
                throw new CliException(ExitCodes.Usage, $"{path} refers to environment variables that are not set: {string.Join(", ", missing)}.",
                    ["Secrets are not exported; set each one to the secret's value (e.g. export HERALD_SECRET_..._API_KEY=...) and run add again."]);
            }

            var created = new JsonArray();
            var failed = new JsonArray();
            var failures = new List<(string Nickname, ApiException Error)>();
            async Task AddOneAsync(JsonObject provider)
            {
                try
                {
                    created.Add(await context.Api.PostAsync("api/v1/providers", provider, ct));
                }
                catch (ApiException ex)
                {
                    var nickname = Json.Str(provider, "nickname") ?? "(no nickname)";
                    failures.Add((nickname, ex));
                    failed.Add(new JsonObject { ["nickname"] = nickname, ["problem"] = ex.Problem?.DeepClone() ?? ex.Message });
                }
            }

            if (context.Live && providers.Count > 1)
            {
                await context.Out.Progress().AutoClear(false).StartAsync(async progress =>
                {
                    var task = progress.AddTask("Adding providers", maxValue: providers.Count);
                    foreach (var provider in providers)
                    {
                        task.Description = $"Adding {Markup.Escape(Json.Str(provider, "nickname") ?? "")}";
                        await AddOneAsync(provider);
                        task.Increment(1);
                    }
                    task.Description = "Added providers";
                });
            }
            else
            {
                foreach (var provider in providers)
                {
                    await AddOneAsync(provider);
                }
            }

            if (context.Json)
            {
                context.WriteJson(new JsonObject { ["items"] = created, ["errors"] = failed });
            }
            else
            {
                if (created.Count > 0)
                {
                    var table = new Table().Border(TableBorder.Rounded).Title("Added").AddColumn("Nickname").AddColumn("Id").AddColumn("Callback URL (give it to the provider)");
                    foreach (var provider in created)
                    {
                        table.AddRow(Markup.Escape(Json.Str(provider, "nickname") ?? ""), Markup.Escape(Json.Str(provider, "id") ?? ""),
                            Markup.Escape(Json.Str(provider, "callbackUrl") ?? ""));
                    }
                    context.Out.Write(table);
                }
            }
            foreach (var (nickname, error) in failures)
            {
                context.Error.MarkupLineInterpolated($"[red]{nickname}: {error.Message}[/]");
                foreach (var line in error.Details)
                {
                    context.Error.MarkupLineInterpolated($"[red]  {line}[/]");
                }
            }
            return failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Api;
        });
        return command;
    }

    private static Command Remove(ClientOptions options)
    {
        var id = IdArgument();
        var command = new Command("remove", "Remove a provider (its messages keep their history).") { id };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var provider = parse.GetRequiredValue(id);
            await context.Api.DeleteAsync($"api/v1/providers/{HeraldApiClient.Segment(provider)}", ct);
            if (context.Json)
            {
                context.WriteJson(new JsonObject { ["removed"] = provider });
            }
            else
            {
                context.Out.MarkupLineInterpolated($"Removed provider [bold]{provider}[/].");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Test(ClientOptions options)
    {
        var id = IdArgument();
        var to = new Option<string>("--to") { Description = "The mobile number in E.164, e.g. +919812345678.", Required = true };
        var message = new Option<string?>("--message", "-m") { Description = "The text. Default: a test message, unless --template-id is given." };
        var templateId = new Option<string?>("--template-id") { Description = "The DLT template id ($$TemplateID)." };
        var sender = new Option<string?>("--sender") { Description = "The sender id ($$Sender), when the provider uses it." };
        var fields = new Option<string[]>("--field") { Description = "A dynamic field key=value for a custom placeholder (e.g. --field sender=KLRHXA --field type=OTP); repeatable." };
        var timeout = Durations.Option("--timeout", "How long to follow the message's state", TimeSpan.FromSeconds(30));
        var noFollow = new Option<bool>("--no-follow") { Description = "Do not wait for the delivery report." };
        var command = new Command("test", """
            Send a test SMS now (the seed's "Send Test SMS"): prints the outcome, the request as sent (secrets masked) and the
            provider's answer, then follows the message until its delivery report. Exit code: 0 delivered, 1 refused by the API,
            3 not delivered (or the provider refused it), 4 no final state in time.
            """)
        {
            id, to, message, templateId, sender, fields, timeout, noFollow,
        };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var template = parse.GetValue(templateId);
            var body = new JsonObject
            {
                ["to"] = parse.GetRequiredValue(to),
                ["message"] = parse.GetValue(message) ?? (template is null ? "This is a test message from Herald" : null),
                ["templateId"] = template,
                ["sender"] = parse.GetValue(sender),
                ["dynamicFields"] = Fields.Parse(parse.GetValue(fields)),
            };
            var result = await context.Api.PostAsync($"api/v1/providers/{HeraldApiClient.Segment(parse.GetRequiredValue(id))}/test-sms", body, ct)
                ?? new JsonObject();
            var outcome = Json.Str(result, "outcome");
            var messageId = Json.Str(result, "messageId");
            if (!context.Json)
            {
                PrintTestResult(context, result);
            }
            JsonNode? final = null;
            var followed = false;
            var isFinal = MessageFollower.IsFinal(Json.Str(result, "status"));
            if (messageId is not null && !parse.GetValue(noFollow))
            {
                (final, isFinal) = await MessageFollower.FollowAsync(context, messageId, parse.GetValue(timeout), ct);
                followed = true;
            }
            var status = Json.Str(final, "status") ?? Json.Str(result, "status");
            if (context.Json)
            {
                context.WriteJson(new JsonObject { ["test"] = result.DeepClone(), ["message"] = final?.DeepClone() });
            }
            else if (followed)
            {
                var note = (final?["timeline"] as JsonArray)?.LastOrDefault(e => Json.Str(e, "note") is not null) is { } last ? Json.Str(last, "note") : null;
                context.Out.MarkupLine($"Status: {MessageFollower.StatusMarkup(status)}{(note is null ? "" : Markup.Escape($" ({note})"))}"
                    + (isFinal ? "" : Markup.Escape($" — no final state after {parse.GetValue(timeout).TotalSeconds:0} s; `herald messages show {messageId}` shows it later.")));
            }
            if (outcome != "accepted")
            {
                return ExitCodes.NotDelivered;
            }
            if (parse.GetValue(noFollow))
            {
                return ExitCodes.Ok;
            }
            return !isFinal ? ExitCodes.Timeout : status == "delivered" ? ExitCodes.Ok : ExitCodes.NotDelivered;
        });
        return command;
    }

    private static void PrintTestResult(CliContext context, JsonNode result)
    {
        var outcome = Json.Str(result, "outcome") ?? "unknown";
        var colour = outcome == "accepted" ? "green" : "red";
        context.Out.MarkupLine($"Outcome: [{colour}]{Markup.Escape(outcome)}[/]"
            + Markup.Escape($"  message {Json.Str(result, "messageId")}, {Json.Str(result, "elapsedMs")} ms"));
        if (Json.Str(result, "providerMessageId") is { } providerMessageId)
        {
            context.Out.MarkupLineInterpolated($"Provider message id: {providerMessageId}");
        }
        if (Json.Str(result, "reason") is { } reason)
        {
            context.Out.MarkupLineInterpolated($"[red]Reason: {reason}[/]");
        }
        if (Json.Str(result, "error") is { } error)
        {
            context.Out.MarkupLineInterpolated($"[red]Error: {error}[/]");
        }
        if (result["request"] is JsonObject request)
        {
            var lines = new List<string> { $"{Json.Str(request, "method")} {Json.Str(request, "url")}" };
            lines.AddRange((request["headers"] as JsonArray ?? []).Select(h => $"{Json.Str(h, "key")}: {Json.Str(h, "value")}"));
            if (Json.Str(request, "body") is { Length: > 0 } requestBody)
            {
                lines.Add("");
                lines.Add(requestBody);
            }
            context.WriteBlock("Request sent (secrets masked)", string.Join('\n', lines));
        }
        if (result["response"] is JsonObject response)
        {
            var text = $"HTTP {Json.Str(response, "status")}\n\n{Json.Str(response, "body")}"
                + (Json.Str(response, "truncated") == "true" ? "\n(truncated)" : "");
            context.WriteBlock("Provider's answer", text);
        }
    }

    private static Command Export(ClientOptions options)
    {
        var ids = new Argument<string[]>("providers") { Description = "Ids or nicknames to export. Default: every provider.", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file. Default: standard output." };
        var command = new Command("export", """
            Write providers as JSON ({"providers":[{nickname,kind,settings}]}) for version control; `herald providers add --from-file`
            reads it back. Secrets are never exported: Herald's API does not return them (they are encrypted at rest and shown as
            ****), so each one is written as an environment reference such as ${HERALD_SECRET_KALEYRA_SMS_API_KEY} that add fills in.
            """)
        {
            ids, output,
        };
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            var wanted = parse.GetValue(ids) ?? [];
            var sources = new List<JsonNode>();
            if (wanted.Length == 0)
            {
                sources.AddRange(Json.Items(await context.Api.GetAsync("api/v1/providers", ct)).OfType<JsonNode>());
            }
            else
            {
                foreach (var id in wanted)
                {
                    sources.Add(await context.Api.GetAsync($"api/v1/providers/{HeraldApiClient.Segment(id)}", ct) ?? new JsonObject());
                }
            }
            var exported = new JsonArray();
            var secrets = new List<string>();
            foreach (var source in sources)
            {
                var (provider, names) = ProviderFiles.Export(source);
                exported.Add(provider);
                secrets.AddRange(names);
            }
            var document = Json.Pretty(new JsonObject { ["providers"] = exported });
            var path = parse.GetValue(output);
            if (path is null)
            {
                Console.Out.WriteLine(document);
                await Console.Out.FlushAsync(ct);
            }
            else
            {
                await File.WriteAllTextAsync(path, document + Environment.NewLine, ct);
            }
            // With the JSON on standard output, notes go to standard error.
            var notes = path is null ? context.Error : context.Notes;
            if (path is not null)
            {
                notes.MarkupLineInterpolated($"Wrote {exported.Count} provider(s) to {path}.");
            }
            if (secrets.Count > 0)
            {
                notes.MarkupLineInterpolated($"[yellow]{secrets.Count} secret(s) omitted (Herald never returns secrets); set these before `herald providers add --from-file`: {string.Join(", ", secrets)}[/]");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
