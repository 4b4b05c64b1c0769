using Herald.Api.Audit;
using System.Collections.Frozen;
using System.Security.Cryptography;
using Herald.Api;
using Herald.Api.Messages;
using Herald.Api.TestSms;
using Herald.Core.Messaging;
using Herald.Storage;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace Herald.Dashboard;

/// <summary>The dashboard's own small endpoints: assets, sign-out, the Send Test SMS call and live message status.</summary>
internal static class DashboardEndpoints
{
    public static void MapDashboardEndpoints(this WebApplication app)
    {
        app.MapGet("/", () => Results.Redirect("/providers")).ExcludeFromDescription();

        app.MapGet("/assets/{name}", (string name, HttpContext context) =>
        {
            if (!DashboardAssets.TryGet(name, out var asset))
            {
                return Results.NotFound();
            }
            context.Response.Headers.CacheControl = context.Request.Query.ContainsKey("v") ? "public, max-age=31536000, immutable" : "no-cache";
            return Results.Bytes(asset.Content, asset.ContentType, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{asset.Version}\""));
        }).AllowAnonymous();

        app.MapPost("/signout", async (HttpContext context) =>
        {
            await DashboardAccounts.SignOutAsync(context);
            return Results.Redirect("/signin?signedOut=1");
        }).RequireAuthorization(DashboardAuth.Policy).AddEndpointFilter<RequireAntiforgery>();

        var json = app.MapGroup("/dashboard").RequireAuthorization(DashboardAuth.Policy);

        // The Send Test SMS dialog posts its form here (fetch) and shows the JSON answer: the same call as the API's test-sms.
        json.MapPost("/providers/{id}/test-sms", async (string id, HttpContext context, TestSmsService service, CancellationToken ct) =>
        {
            var form = await context.Request.ReadFormAsync(ct);
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; form.ContainsKey($"fields[{i}].key"); i++)
            {
                var key = form[$"fields[{i}].key"].ToString().Trim();
                var value = form[$"fields[{i}].value"].ToString();
                if (key.Length > 0 && value.Length > 0)
                {
                    fields[key] = value;
                }
            }
            string? Field(string name) => form[name].ToString() is { Length: > 0 } value ? value.Trim() : null;
            return await service.SendAsync(id, new TestSmsRequest(Field("countryCode"), Field("mobile"), null, Field("templateId"),
                Field("message"), null, fields), ct);
        }).Accepts<IFormCollection>("application/x-www-form-urlencoded", "multipart/form-data").AddEndpointFilter<RequireAntiforgery>()
            .WithMetadata(new AuditActionMetadata("provider.test-sms")).AddEndpointFilter<AuditFilter>();

        // The dialog's length line, as the user types: the one segmenter and cap the intake applies when the test is sent.
        json.MapPost("/providers/{id}/segments", async (string id, HttpContext context, IProviderStore providers,
            Microsoft.Extensions.Options.IOptions<Herald.Dispatch.Intake.IntakeOptions> intake, CancellationToken ct) =>
        {
            var form = await context.Request.ReadFormAsync(ct);
            var provider = await providers.FindAsync(id, ct);
            var max = provider is { MaxSegments: > 0 } ? provider.MaxSegments : intake.Value.MaxSegments;
            var fits = Herald.Core.Encoding.SegmentLimit.Check(form["message"].ToString(), max, out var info, out var error);
            return Results.Ok(new
            {
                characters = info.Characters,
                encoding = Herald.Core.Encoding.SegmentLimit.WireName(info.Encoding),
                segments = info.Segments,
                maxSegments = max,
                error = fits ? null : error,
            });
        }).Accepts<IFormCollection>("application/x-www-form-urlencoded", "multipart/form-data").AddEndpointFilter<RequireAntiforgery>().ExcludeFromDescription();

        // The segment builder's live count: the rule as it stands in the form, not saved.
        json.MapPost("/segments/count", async (HttpContext context, Herald.Engagement.Segments.ISegmentService segments, CancellationToken ct) =>
        {
            var form = await context.Request.ReadFormAsync(ct);
            System.Text.Json.JsonElement rule;
            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(form["Form.Rule"].ToString());
                rule = document.RootElement.Clone();
            }
            catch (System.Text.Json.JsonException ex)
            {
                return Results.BadRequest(new { errors = new[] { new { path = "$", message = $"the rule is not valid JSON yet ({ex.Message})" } } });
            }
            var count = await segments.CountRuleAsync(rule, ct);
            return count.Errors is { } errors
                ? Results.BadRequest(new { errors = errors.SelectMany(e => e.Value.Select(m => new { path = e.Key, message = m })) })
                : Results.Ok(new { count = count.Count });
        }).Accepts<IFormCollection>("application/x-www-form-urlencoded", "multipart/form-data").AddEndpointFilter<RequireAntiforgery>().ExcludeFromDescription();

        // The Contacts page's import form: the file is spooled and imported like POST /api/v1/contacts/import, then the import's page follows it.
        var imports = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Herald.Engagement.Imports.ImportOptions>>().Value;
        app.MapPost("/dashboard/contacts/import", async (HttpContext context, Herald.Engagement.Imports.IContactImports importer, CancellationToken ct) =>
        {
            var form = await context.Request.ReadFormAsync(ct);
            if (form.Files["file"] is not { Length: > 0 } file)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "No file", detail: "Choose a CSV file to import.");
            }
            await using var stream = file.OpenReadStream();
            using var csv = await importer.SpoolAsync(stream, ct);
            var started = await importer.StartAsync(csv, null, ct);
            return started.Import is { } import
                ? Results.Redirect($"/imports/{import.Id}")
                : Results.Problem(statusCode: started.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, title: "The CSV cannot be imported",
                    detail: started.Error);
        }).RequireAuthorization(DashboardAuth.Policy).Accepts<IFormCollection>("multipart/form-data", "application/x-www-form-urlencoded").AddEndpointFilter<RequireAntiforgery>()
            .WithMetadata(new BodySizeLimit(imports.MaxBytes + (1024 * 1024)))
            .WithFormOptions(multipartBodyLengthLimit: imports.MaxBytes + (1024 * 1024))
            .ExcludeFromDescription();

        json.MapGet("/imports/{id}/errors.csv", async (string id, IImportStore store, CancellationToken ct) =>
            await store.GetAsync(id, ct) is null
                ? Results.NotFound()
                : Results.File(System.Text.Encoding.UTF8.GetBytes(await store.GetErrorRowsAsync(id, ct) ?? "row,error\r\n"), "text/csv; charset=utf-8", $"{id}-errors.csv"))
            .ExcludeFromDescription();

        json.MapGet("/campaigns/{id}/report.csv", async (string id, Herald.Engagement.Campaigns.ICampaigns campaigns, CancellationToken ct) =>
            await campaigns.ReportAsync(id, ct) is { } report
                ? Results.File(System.Text.Encoding.UTF8.GetBytes(Herald.Engagement.Campaigns.CampaignReportCsv.Write(report)), "text/csv; charset=utf-8", $"{report.Campaign.Id}-report.csv")
                : Results.NotFound())
            .ExcludeFromDescription();

        // Polled every second by the dialog while the delivery report is on its way.
        json.MapGet("/messages/{id}/status", async (string id, IMessageStore messages, CancellationToken ct) =>
        {
            var message = await messages.GetAsync(id, ct);
            if (message is null)
            {
                return Problems.NotFound($"No message has the id '{id}'.");
            }
            var view = MessageEndpoints.View(message, await messages.GetEventsAsync(id, ct));
            return Results.Ok(new
            {
                view.Id,
                view.Status,
                Final = message.Status.IsFinal(),
                view.ProviderMessageId,
                Timeline = view.Timeline!.Select(e => new { e.At, e.Source, e.Event, e.Result, e.Note }),
            });
        });
    }

    /// <summary>Rejects a POST without a valid anti-forgery token (400) on endpoints that read the form themselves.</summary>
    private sealed class RequireAntiforgery(IAntiforgery antiforgery) : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            try
            {
                await antiforgery.ValidateRequestAsync(context.HttpContext);
            }
            catch (AntiforgeryValidationException)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid anti-forgery token",
                    detail: "The form is missing its anti-forgery token or it is stale: reload the page and try again.");
            }
            return await next(context);
        }
    }
}

/// <summary>The dashboard's CSS, JS and icon, embedded in the binary (no CDN, nothing fetched from elsewhere).</summary>
internal static class DashboardAssets
{
    public sealed record Asset(byte[] Content, string ContentType, string Version);

    private const string Prefix = "herald.wwwroot.";

    private static readonly FrozenDictionary<string, Asset> All = Load();

    public static bool TryGet(string name, out Asset asset) => All.TryGetValue(name, out asset!);

    /// <summary>The URL of an asset with its content hash, so browsers can cache it until it changes.</summary>
    public static string Url(string name) => All.TryGetValue(name, out var asset) ? $"/assets/{name}?v={asset.Version}" : $"/assets/{name}";

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var name = resource[Prefix.Length..];
            var type = Path.GetExtension(name) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[name] = new Asset(bytes, type, Convert.ToHexStringLower(SHA256.HashData(bytes))[..12]);
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
