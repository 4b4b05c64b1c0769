using Herald.Security;
using Herald.Engagement.Campaigns;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Api.Campaigns;

/// <summary>The body of POST /api/v1/campaigns/{id}/test.</summary>
public sealed record CampaignTestRequest(IReadOnlyList<string>? Numbers);

/// <summary>The messages a test send made.</summary>
public sealed record CampaignTestSent(IReadOnlyList<CampaignTestMessage> Messages);

/// <summary>A page of a campaign's recipients.</summary>
public sealed record CampaignRecipientPage(IReadOnlyList<CampaignRecipientRow> Items, string? Next);

/// <summary>/api/v1/campaigns: write a campaign, launch it, pause, resume or cancel it, and see what it achieved.</summary>
internal static class CampaignEndpoints
{
    public static RouteGroupBuilder MapCampaigns(this RouteGroupBuilder api)
    {
        var campaigns = api.MapGroup("/campaigns");
        campaigns.MapPost("", CreateAsync).RequireScope(ApiAccess.Admin, "campaign.create").WithSummary("Write a campaign (a draft)");
        campaigns.MapGet("", ListAsync).RequireScope(ApiAccess.Read).WithSummary("List campaigns, newest first");
        campaigns.MapGet("/{id}", GetAsync).RequireScope(ApiAccess.Read).WithSummary("A campaign and its definition");
        campaigns.MapPut("/{id}", UpdateAsync).RequireScope(ApiAccess.Admin, "campaign.update").WithSummary("Change a draft");
        campaigns.MapPost("/{id}/launch", (string id, ICampaigns c, CancellationToken ct) => ChangeAsync(c.LaunchAsync(id, ct), id))
            .RequireScope(ApiAccess.Admin, "campaign.launch").WithSummary("Freeze the audience and start (or schedule) the campaign");
        campaigns.MapPost("/{id}/pause", (string id, ICampaigns c, CancellationToken ct) => ChangeAsync(c.PauseAsync(id, ct), id))
            .RequireScope(ApiAccess.Admin, "campaign.pause").WithSummary("Stop sending for now; unsent messages go back to the campaign");
        campaigns.MapPost("/{id}/resume", (string id, ICampaigns c, CancellationToken ct) => ChangeAsync(c.ResumeAsync(id, ct), id))
            .RequireScope(ApiAccess.Admin, "campaign.resume").WithSummary("Continue a paused campaign");
        campaigns.MapPost("/{id}/cancel", (string id, ICampaigns c, CancellationToken ct) => ChangeAsync(c.CancelAsync(id, ct), id))
            .RequireScope(ApiAccess.Admin, "campaign.cancel").WithSummary("Stop for good: recipients not yet sent are cancelled");
        campaigns.MapPost("/{id}/test", TestAsync).RequireScope(ApiAccess.Admin, "campaign.test").WithSummary("Send the campaign's message to a few numbers now");
        campaigns.MapPost("/{id}/dry-run", DryRunAsync).RequireScope(ApiAccess.Read).WithSummary("What launching now would do, without sending or changing anything")
            .WithDescription("Audience, would-send count, deferred and skipped counts by reason code, SMS segments, estimated cost and 5 rendered samples, "
                + "through the runner's own steps and the one send-path policy, as of now.");
        campaigns.MapGet("/{id}/preview", PreviewAsync).RequireScope(ApiAccess.Read)
            .WithSummary("The campaign's message for one contact (contactId; default the first audience member) and the DLT check of its body");
        campaigns.MapGet("/{id}/report", ReportAsync).RequireScope(ApiAccess.Read).WithSummary("What the campaign achieved (?format=csv for CSV)")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        campaigns.MapGet("/{id}/report.csv", (string id, ICampaigns c, CancellationToken ct) => ReportAsync(id, "csv", c, ct))
            .RequireScope(ApiAccess.Read).WithSummary("What the campaign achieved, as CSV").Produces(StatusCodes.Status200OK, contentType: "text/csv");
        campaigns.MapGet("/{id}/recipients", RecipientsAsync).RequireScope(ApiAccess.Read).WithSummary("The campaign's recipients: why was this one (not) sent");
        return api;
    }

    private static async Task<Results<Created<CampaignView>, ValidationProblem>> CreateAsync(CampaignDefinition definition, ICampaigns campaigns, CancellationToken ct)
    {
        var result = await campaigns.CreateAsync(definition, ct);
        return result.Errors is { } errors ? Problems.Invalid(errors) : TypedResults.Created($"/api/v1/campaigns/{result.Campaign!.Id}", result.Campaign);
    }

    private static async Task<Results<Ok<IReadOnlyList<CampaignView>>, ValidationProblem>> ListAsync(string? status, int? limit, ICampaigns campaigns, CancellationToken ct)
    {
        if (status is not (null or CampaignStatus.Draft or CampaignStatus.Scheduled or CampaignStatus.Running or CampaignStatus.Paused
            or CampaignStatus.Completed or CampaignStatus.Cancelled))
        {
            return Problems.BadRequest("status", $"status '{status}' is not one of draft, scheduled, running, paused, completed, cancelled.");
        }
        if (limit is < 1 or > 1000)
        {
            return Problems.BadRequest("limit", "limit must be between 1 and 1000.");
        }
        return TypedResults.Ok(await campaigns.ListAsync(status, limit ?? 100, ct));
    }

    private static async Task<Results<Ok<CampaignView>, NotFoundProblem>> GetAsync(string id, ICampaigns campaigns, CancellationToken ct) =>
        await campaigns.GetAsync(id, ct) is { } campaign ? TypedResults.Ok(campaign) : NotFound(id);

    private static Task<Results<Ok<CampaignView>, ValidationProblem, NotFoundProblem, ConflictProblem>> UpdateAsync(string id, CampaignDefinition definition,
        ICampaigns campaigns, CancellationToken ct) => ChangeAsync(campaigns.UpdateAsync(id, definition, ct), id);

    private static async Task<Results<Ok<CampaignView>, ValidationProblem, NotFoundProblem, ConflictProblem>> ChangeAsync(Task<CampaignResult> change, string id)
    {
        var result = await change;
        return result switch
        {
            { NotFound: true } => NotFound(id),
            { Errors: { } errors } => Problems.Invalid(errors),
            { Conflict: { } conflict } => Problems.Conflict("Not in that state", conflict),
            _ => TypedResults.Ok(result.Campaign!),
        };
    }

    private static async Task<Results<Accepted<CampaignTestSent>, ValidationProblem, NotFoundProblem>> TestAsync(string id, CampaignTestRequest request,
        ICampaigns campaigns, CancellationToken ct)
    {
        var result = await campaigns.TestAsync(id, request.Numbers ?? [], ct);
        return result switch
        {
            { NotFound: true } => NotFound(id),
            { Errors: { } errors } => Problems.Invalid(errors),
            _ => TypedResults.Accepted((string?)null, new CampaignTestSent(result.Sent)),
        };
    }

    private static async Task<Results<Ok<CampaignDryRun>, ValidationProblem, NotFoundProblem>> DryRunAsync(string id, ICampaigns campaigns, CancellationToken ct) =>
        Answer(await campaigns.DryRunAsync(id, ct), id);

    private static async Task<Results<Ok<CampaignPreview>, ValidationProblem, NotFoundProblem>> PreviewAsync(string id, string? contactId, ICampaigns campaigns,
        CancellationToken ct)
    {
        if (contactId is { Length: > 200 })
        {
            return Problems.BadRequest("contactId", "contactId is a contact's id (ct_…), at most 200 characters.");
        }
        return Answer(await campaigns.PreviewAsync(id, contactId, ct), id);
    }

    private static Results<Ok<T>, ValidationProblem, NotFoundProblem> Answer<T>(CampaignAnswer<T> answer, string id) where T : class => answer switch
    {
        { NotFound: true } => NotFound(id),
        { Errors: { } errors } => Problems.Invalid(errors),
        _ => TypedResults.Ok(answer.Value!),
    };

    private static async Task<Results<Ok<CampaignReport>, FileContentHttpResult, ValidationProblem, NotFoundProblem>> ReportAsync(string id, string? format,
        ICampaigns campaigns, CancellationToken ct)
    {
        if (format is not (null or "" or "json" or "csv"))
        {
            return Problems.BadRequest("format", $"format '{format}' is not one of json (the default) or csv.");
        }
        if (await campaigns.ReportAsync(id, ct) is not { } report)
        {
            return NotFound(id);
        }
        return format == "csv"
            ? TypedResults.File(System.Text.Encoding.UTF8.GetBytes(CampaignReportCsv.Write(report)), "text/csv; charset=utf-8", $"{report.Campaign.Id}-report.csv")
            : TypedResults.Ok(report);
    }

    private static async Task<Results<Ok<CampaignRecipientPage>, ValidationProblem, NotFoundProblem>> RecipientsAsync(string id, string? status, string? reason,
        string? cursor, int? limit, ICampaigns campaigns, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return Problems.BadRequest("limit", "limit must be between 1 and 1000.");
        }
        long after = 0;
        if (!string.IsNullOrEmpty(cursor) && !long.TryParse(cursor, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out after))
        {
            return Problems.BadRequest("cursor", "cursor is not one this API gave out: pass the 'next' value of the previous page.");
        }
        var size = limit ?? 100;
        var rows = await campaigns.RecipientsAsync(id, string.IsNullOrWhiteSpace(status) ? null : status, string.IsNullOrWhiteSpace(reason) ? null : reason, after, size, ct);
        return rows is null ? NotFound(id)
            : TypedResults.Ok(new CampaignRecipientPage(rows, rows.Count == size ? rows[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null));
    }

    private static NotFoundProblem NotFound(string id) => Problems.NotFound($"No campaign has the id '{id}'.");
}
