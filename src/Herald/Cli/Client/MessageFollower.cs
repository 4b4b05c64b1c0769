using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Herald.Cli.Client;

/// <summary>Follows a message's state until it is final, with a live status line.</summary>
internal static class MessageFollower
{
    /// <summary>The states a message does not leave (protocols.md §5).</summary>
    public static readonly FrozenSet<string> FinalStates =
        new[] { "delivered", "undelivered", "failed", "expired", "rejected" }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(300);

    public static bool IsFinal(string? status) => status is not null && FinalStates.Contains(status);

    /// <summary>Polls GET /api/v1/messages/{id} until a final state or <paramref name="timeout"/>; returns the last answer.</summary>
    public static async Task<(JsonNode Message, bool Final)> FollowAsync(CliContext context, string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var path = $"api/v1/messages/{HeraldApiClient.Segment(id)}";
        var started = context.Time.GetTimestamp();
        var message = await context.Api.GetAsync(path, cancellationToken) ?? new JsonObject();
        var status = Json.Str(message, "status");

        async Task PollAsync(Action<string> onChange)
        {
            onChange(status ?? "unknown");
            while (!IsFinal(status) && context.Time.GetElapsedTime(started) < timeout)
            {
                await Task.Delay(PollInterval, context.Time, cancellationToken);
                message = await context.Api.GetAsync(path, cancellationToken) ?? message;
                var next = Json.Str(message, "status");
                if (next != status)
                {
                    status = next;
                    onChange(status ?? "unknown");
                }
            }
        }

        if (context.Live)
        {
            await context.Out.Status().Spinner(Spinner.Known.Dots).StartAsync($"Message {id}: {status}", async live =>
                await PollAsync(s => live.Status = $"Message {Markup.Escape(id)}: [bold]{Markup.Escape(s)}[/] ({context.Time.GetElapsedTime(started).TotalSeconds:0.0} s)"));
        }
        else
        {
            await PollAsync(s => context.Notes.MarkupLineInterpolated($"  status: {s} ({context.Time.GetElapsedTime(started).TotalSeconds:0.0} s)"));
        }
        return (message, IsFinal(status));
    }

    /// <summary>The exit code for a followed message: 0 delivered, 3 another final state, 4 not final in time.</summary>
    public static int ExitCodeFor(JsonNode message, bool final) =>
        !final ? ExitCodes.Timeout : Json.Str(message, "status") == "delivered" ? ExitCodes.Ok : ExitCodes.NotDelivered;

    /// <summary>A status in a colour that says whether it is good news.</summary>
    public static string StatusMarkup(string? status) => status switch
    {
        "delivered" => "[green]delivered[/]",
        "undelivered" or "failed" or "expired" or "rejected" => $"[red]{status}[/]",
        null => "",
        _ => $"[yellow]{Markup.Escape(status)}[/]",
    };

    /// <summary>The message's timeline as a table.</summary>
    public static Table Timeline(JsonNode message, TimeProvider time)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Timeline")
            .AddColumn("At").AddColumn("Source").AddColumn("Event").AddColumn("Result").AddColumn("Note");
        foreach (var entry in message["timeline"] as JsonArray ?? [])
        {
            table.AddRow(
                Markup.Escape(Json.Clock(Json.Str(entry, "at"), time)),
                Markup.Escape(Json.Str(entry, "source") ?? ""),
                Markup.Escape(Json.Str(entry, "event") ?? ""),
                StatusMarkup(Json.Str(entry, "result")),
                Markup.Escape(Json.Str(entry, "note") ?? ""));
        }
        return table;
    }

    /// <summary>The message's fields as a grid.</summary>
    public static Grid Summary(JsonNode message, TimeProvider time)
    {
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string label, string? value, bool markup = false)
        {
            if (!string.IsNullOrEmpty(value))
            {
                grid.AddRow($"[bold]{label}[/]", markup ? value : Markup.Escape(value));
            }
        }
        Row("Id", Json.Str(message, "id"));
        Row("Status", StatusMarkup(Json.Str(message, "status")), markup: true);
        Row("To", Json.Str(message, "to"));
        var provider = Json.Path(message, "provider.nickname") ?? Json.Path(message, "provider.id");
        Row("Provider", provider is null ? null : $"{provider} ({Json.Path(message, "provider.id")})");
        Row("Provider message id", Json.Str(message, "providerMessageId"));
        Row("Type", Json.Str(message, "type"));
        Row("Source", Json.Str(message, "source"));
        Row("Sender", Json.Str(message, "sender"));
        Row("Template id", Json.Str(message, "templateId"));
        Row("Campaign id", Json.Str(message, "campaignId"));
        Row("Attempts", Json.Str(message, "attempts"));
        Row("Created", Json.Time(Json.Str(message, "createdAt"), time));
        Row("Updated", Json.Time(Json.Str(message, "updatedAt"), time));
        Row("Body", Json.Str(message, "body"));
        return grid;
    }
}

/// <summary><c>--field key=value</c> options.</summary>
internal static class Fields
{
    public static JsonObject? Parse(string[]? values, string option = "--field")
    {
        if (values is null || values.Length == 0)
        {
            return null;
        }
        var fields = new JsonObject();
        foreach (var value in values)
        {
            var equals = value.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException(ExitCodes.Usage, $"{option} '{value}' is not key=value (e.g. {option} sender=KLRHXA).");
            }
            fields[value[..equals].Trim()] = value[(equals + 1)..];
        }
        return fields;
    }
}
