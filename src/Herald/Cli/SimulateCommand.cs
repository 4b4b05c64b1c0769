using System.CommandLine;
using Herald.Simulator;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald simulate</c>: a Kaleyra and Twilio look-alike for sandboxes, tests and benchmarks.</summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var defaults = new SimulatorOptions();
        var urls = new Option<string>("--urls") { Description = "Where to listen.", DefaultValueFactory = _ => defaults.Urls };
        var apiKey = new Option<string>("--api-key") { Description = "The api-key header callers must send.", DefaultValueFactory = _ => defaults.ApiKey };
        var sid = new Option<string>("--sid") { Description = "The sid header (account SID) callers must send.", DefaultValueFactory = _ => defaults.Sid };
        var twilioAccountSid = new Option<string>("--twilio-account-sid") { Description = "The Twilio face's Account SID (Basic auth user, and the account in its paths).", DefaultValueFactory = _ => defaults.TwilioAccountSid };
        var twilioAuthToken = new Option<string>("--twilio-auth-token") { Description = "The Twilio face's auth token (Basic auth password; signs its status callbacks).", DefaultValueFactory = _ => defaults.TwilioAuthToken };
        var dlrDelay = new Option<TimeSpan>("--dlr-delay") { Description = "Delay before each delivery report, jittered ±50% (e.g. 00:00:00.200).", DefaultValueFactory = _ => defaults.DlrDelay };
        var deliveryRate = new Option<double>("--delivery-rate") { Description = "Share of messages reported delivered (0 to 1); the rest fail with a realistic code.", DefaultValueFactory = _ => defaults.DeliveryRate };
        var dlrRetries = new Option<int>("--dlr-retries") { Description = "How often a delivery report POST that fails (5xx, connection) is retried.", DefaultValueFactory = _ => defaults.DlrRetryCount };
        var seed = new Option<int?>("--seed") { Description = "Seed for the random outcomes (repeatable runs). Default: random." };
        var failRate = new Option<double>("--fail-rate") { Description = "Share of accepted messages whose final report is a provider failure (0 to 1).", DefaultValueFactory = _ => defaults.FailRate };
        var httpErrorRate = new Option<double>("--http-error-rate") { Description = "Share of send requests answered 503 with Retry-After: 1 (0 to 1).", DefaultValueFactory = _ => defaults.HttpErrorRate };
        var latency = new Option<TimeSpan>("--latency") { Description = "Added before answering each send (e.g. 00:00:00.050).", DefaultValueFactory = _ => defaults.Latency };
        var rateLimit = new Option<int>("--rate-limit") { Description = "Send requests a second before answering 429 with Retry-After: 1; 0 = no limit.", DefaultValueFactory = _ => defaults.RateLimit };
        var requestLog = new Option<int>("--request-log") { Description = $"How many requests and callbacks GET /_sim/requests and /_sim/callbacks keep (0 to {SimulatorOptions.MaxRequestLogCapacity:N0}).", DefaultValueFactory = _ => defaults.RequestLogCapacity };
        var retryScale = new Option<double>("--kaleyra-retry-scale") { Description = "Multiplies the intervals of Kaleyra callback retries (callback.retry).", DefaultValueFactory = _ => defaults.KaleyraRetryIntervalScale };

        var command = new Command("simulate", """
            Run a Kaleyra and Twilio look-alike with three faces. POST /connector/sms (the seed's "HTTP Endpoint") answers and then
            posts a CleverTap-format delivery report to the callback_url header. POST /v1/{sid}/sms and /v1/{sid}/messages
            are Kaleyra's SMS API (up to 100 recipients, Sent and final callbacks to the callback url; status at
            GET /v1/{sid}/messages/status). POST /2010-04-01/Accounts/{AccountSid}/Messages.json is Twilio's
            Programmable Messaging (Basic auth, 201 with an SM sid, signed queued/sent/final status callbacks to the
            StatusCallback; 0001 answers 400 error 21610 there, 0004 error 21211). Numbers ending in 0001 fail with DND (901 / CON-DND), 0002 answer 503,
            0003 time out, 0004 answer 400, 0005 expire, 0006 fail DLT (908 / TEMPLATE-NOT-FOUND), 0007 never report,
            0008 are undelivered, 0009 always deliver, 0429 answer 429. Inspect with GET /_sim/requests, /_sim/callbacks
            and /_sim/stats.
            """)
        {
            urls, apiKey, sid, twilioAccountSid, twilioAuthToken, dlrDelay, deliveryRate, dlrRetries, seed, failRate, httpErrorRate, latency, rateLimit, retryScale, requestLog,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new SimulatorOptions
            {
                Urls = parse.GetValue(urls)!,
                ApiKey = parse.GetValue(apiKey)!,
                Sid = parse.GetValue(sid)!,
                TwilioAccountSid = parse.GetValue(twilioAccountSid)!,
                TwilioAuthToken = parse.GetValue(twilioAuthToken)!,
                DlrDelay = parse.GetValue(dlrDelay),
                DeliveryRate = parse.GetValue(deliveryRate),
                DlrRetryCount = parse.GetValue(dlrRetries),
                Seed = parse.GetValue(seed),
                FailRate = parse.GetValue(failRate),
                HttpErrorRate = parse.GetValue(httpErrorRate),
                Latency = parse.GetValue(latency),
                RateLimit = parse.GetValue(rateLimit),
                KaleyraRetryIntervalScale = parse.GetValue(retryScale),
                RequestLogCapacity = parse.GetValue(requestLog),
            };
            try
            {
                options.Validate();
            }
            catch (Exception ex) when (ex is ArgumentException or Microsoft.Extensions.Options.OptionsValidationException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]herald simulate:[/] {ex.Message}");
                return 2;
            }
            await using var host = await SimulatorHost.StartAsync(options, cancellationToken);
            AnsiConsole.MarkupLineInterpolated($"Simulator listening on [bold]{host.BaseUrl}[/] (connector: {host.ConnectorUrl}; api-key {options.ApiKey}, sid {options.Sid}; Twilio: {host.TwilioMessagesUrl}). Ctrl+C stops it.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C
            }
            await host.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
