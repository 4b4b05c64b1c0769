using System.CommandLine;
using System.Text.Json.Nodes;
using Herald.Cli.Client;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald send</c>: one message through POST /api/v1/messages, optionally waiting for its delivery report.</summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var to = new Option<string?>("--to") { Description = "The mobile number in E.164, e.g. +919812345678 (00919812345678 works too; a national number needs --country-code)." };
        var countryCode = new Option<string?>("--country-code") { Description = "The calling code of a national --to, e.g. +91. Default: the server's Herald:DefaultCountry, else none." };
        var body = new Option<string?>("--body", "-b") { Description = "The text ($$Body). Either --body or --template-id is needed." };
        var provider = new Option<string?>("--provider", "-p") { Description = "The provider's id or nickname. Default: the server's choice." };
        var providerGroup = new Option<string?>("--provider-group", "-g") { Description = "A provider group's id or name, instead of --provider: the message fails over between the group's providers." };
        var type = new Option<string?>("--type") { Description = "otp, txn, default or mkt (lanes: OTP overtakes the rest). Default: default." };
        type.AcceptOnlyFromAmong("otp", "txn", "default", "mkt");
        var sender = new Option<string?>("--sender") { Description = "The sender id ($$Sender), e.g. KLRHXA." };
        var templateId = new Option<string?>("--template-id") { Description = "The DLT template id ($$TemplateID)." };
        var fields = new Option<string[]>("--field") { Description = "A dynamic field key=value for a custom placeholder; repeatable." };
        var validity = new Option<string?>("--validity") { Description = "How long the message is worth sending (e.g. 10m, 2h, PT10M; 1 s to 7 days). Default: the server's (OTP 10 min, others 24 h)." };
        var campaign = new Option<string?>("--campaign-id") { Description = "A campaign id ($$CampaignID)." };
        var idempotencyKey = new Option<string?>("--idempotency-key") { Description = "Sent as Idempotency-Key: the same key within 24 h returns the first message instead of sending again." };
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait for a final state (the delivery report) and print the timeline." };
        var timeout = Durations.Option("--timeout", "How long --wait waits", TimeSpan.FromSeconds(60));
        var command = options.AddTo(new Command("send", """
            Send one SMS through a running Herald. With --wait, follow it to a final state and print its timeline.
            Exit code: 0 queued (or, with --wait, delivered), 1 refused by the API, 2 usage or connection error,
            3 a final state other than delivered, 4 no final state before --timeout.
            """)
        {
            to, countryCode, body, provider, providerGroup, type, sender, templateId, fields, validity, campaign, idempotencyKey, wait, timeout,
        });
        command.SetClientAction(options, async (context, parse, ct) =>
        {
            if (string.IsNullOrWhiteSpace(parse.GetValue(to)))
            {
                throw new CliException(ExitCodes.Usage, "Give the recipient with --to, e.g. --to +919812345678.");
            }
            var template = parse.GetValue(templateId);
            var text = parse.GetValue(body);
            if (string.IsNullOrWhiteSpace(text) && string.IsNullOrWhiteSpace(template))
            {
                throw new CliException(ExitCodes.Usage, "Give the text with --body, or a --template-id.");
            }
            if (parse.GetValue(provider) is not null && parse.GetValue(providerGroup) is not null)
            {
                throw new CliException(ExitCodes.Usage, "Give --provider or --provider-group, not both.");
            }
            var request = new JsonObject
            {
                ["to"] = parse.GetValue(to),
                ["countryCode"] = parse.GetValue(countryCode),
                ["body"] = text,
                ["templateId"] = template,
                ["type"] = parse.GetValue(type),
                ["sender"] = parse.GetValue(sender),
                ["provider"] = parse.GetValue(provider),
                ["providerGroup"] = parse.GetValue(providerGroup),
                ["dynamicFields"] = Fields.Parse(parse.GetValue(fields)),
                ["validity"] = Validity(parse.GetValue(validity)),
                ["campaignId"] = parse.GetValue(campaign),
            };
            foreach (var (name, value) in request.ToList())
            {
                if (value is null)
                {
                    request.Remove(name);
                }
            }
            var headers = parse.GetValue(idempotencyKey) is { Length: > 0 } key ? new Dictionary<string, string> { ["Idempotency-Key"] = key } : null;
            var queued = await context.Api.PostAsync("api/v1/messages", request, ct, headers) ?? new JsonObject();
            var id = Json.Str(queued, "id") ?? throw new CliException(ExitCodes.Api, "Herald accepted the message but its answer has no id.");
            if (!parse.GetValue(wait))
            {
                if (context.Json)
                {
                    context.WriteJson(queued);
                }
                else if (queued["replayed"]?.GetValue<bool>() == true)
                {
                    context.Out.MarkupLineInterpolated($"Idempotency-Key {parse.GetValue(idempotencyKey)} was already used for message [bold]{id}[/] (now {Json.Str(queued, "status") ?? "queued"}): nothing new was sent. Follow it with: herald messages show {id}");
                }
                else
                {
                    context.Out.MarkupLineInterpolated($"Message [bold]{id}[/] is {Json.Str(queued, "status") ?? "queued"}. Follow it with: herald messages show {id}");
                }
                return ExitCodes.Ok;
            }
            if (!context.Json)
            {
                context.Out.MarkupLineInterpolated($"Message [bold]{id}[/] is {Json.Str(queued, "status") ?? "queued"}; waiting for its delivery report…");
            }
            var (message, final) = await MessageFollower.FollowAsync(context, id, parse.GetValue(timeout), ct);
            if (context.Json)
            {
                context.WriteJson(message);
            }
            else
            {
                context.Out.Write(MessageFollower.Summary(message, context.Time));
                context.Out.Write(MessageFollower.Timeline(message, context.Time));
                if (!final)
                {
                    context.Out.MarkupLineInterpolated($"[yellow]No final state after {Durations.Format(parse.GetValue(timeout))}; `herald messages show {id}` shows it later.[/]");
                }
            }
            return MessageFollower.ExitCodeFor(message, final);
        });
        return command;
    }

    /// <summary>A duration people type (10m, 600, 00:10:00) as the API's ISO-8601 (PT10M); anything else as given, for the API to judge.</summary>
    private static string? Validity(string? value) =>
        string.IsNullOrWhiteSpace(value) ? null
        : Durations.TryParse(value, out var duration) ? System.Xml.XmlConvert.ToString(duration)
        : value.Trim();
}
