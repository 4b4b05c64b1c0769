using Herald.Security;
using System.Text.Json;
using Herald.Engagement.Imports;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Herald.Api.Contacts;

/// <summary>One refused row.</summary>
/// <param name="Row">Its line in the file (the header is line 1); 0 for a problem with the whole import.</param>
/// <param name="Error">What is wrong with it.</param>
public sealed record ImportErrorView(long Row, string Error);

/// <summary>A contact import.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Status">running, completed or failed.</param>
/// <param name="Rows">Data rows read so far.</param>
/// <param name="Imported">Contacts created.</param>
/// <param name="Updated">Contacts updated.</param>
/// <param name="Failed">Rows refused.</param>
/// <param name="Errors">The first errors (and, for a failed import, the reason first, with row 0).</param>
/// <param name="CreatedAt">When it started.</param>
/// <param name="UpdatedAt">When its progress was last written.</param>
/// <param name="FinishedAt">When it ended.</param>
/// <param name="ErrorsCsv">Where the refused rows download as CSV, once it has ended.</param>
public sealed record ImportView(string Id, string Status, long Rows, long Imported, long Updated, long Failed, IReadOnlyList<ImportErrorView> Errors,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? FinishedAt, string ErrorsCsv);

/// <summary>POST /api/v1/contacts/import and /api/v1/imports: CSV imports, run in the background.</summary>
internal static class ImportEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapImports(this RouteGroupBuilder api)
    {
        var options = ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<IOptions<ImportOptions>>().Value;
        api.MapPost("/contacts/import", ImportAsync)
            .WithMetadata(new Messages.BodySizeLimit(options.MaxBytes + (1024 * 1024))) // the multipart envelope on top of the file
            .Accepts<string>("text/csv", "multipart/form-data")
            .RequireScope(ApiAccess.Send)
            .WithTags("Contacts")
            .WithSummary("Import contacts from CSV (202; follow the import at /api/v1/imports/{id})")
            .WithDescription("The body is the CSV (text/csv), or multipart/form-data with a 'file' part and an optional 'mapping' part: a JSON object of CSV " +
                "column → target (phone, externalId, timezone, locale, consent.promotional|transactional|service, attributes.<name>, ignore). The mapping may " +
                "also be given as the 'mapping' query parameter. Unmapped columns fill what their header names, else the attribute of that name. " +
                "A phone column is required; empty cells change nothing; a bad row is counted and skipped, never stopping the import.");

        api.MapGet("/imports/{id}", async Task<Results<Ok<ImportView>, NotFoundProblem>> (string id, IImportStore imports, CancellationToken ct) =>
            await imports.GetAsync(id, ct) is { } import ? TypedResults.Ok(View(import)) : Problems.NotFound($"No import has the id '{id}'."))
            .RequireScope(ApiAccess.Read).WithTags("Contacts").WithSummary("An import's status, counts and first errors");

        api.MapGet("/imports/{id}/errors.csv", async Task<Results<FileContentHttpResult, NotFoundProblem, ConflictProblem>> (string id, IImportStore imports, CancellationToken ct) =>
        {
            var import = await imports.GetAsync(id, ct);
            if (import is null)
            {
                return Problems.NotFound($"No import has the id '{id}'.");
            }
            if (import.Status == "running")
            {
                return Problems.Conflict("The import is still running", $"Import {id} is still running: its refused rows download once it ends (status completed or failed).");
            }
            var csv = await imports.GetErrorRowsAsync(id, ct) ?? "row,error\r\n";
            return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", $"{id}-errors.csv");
        }).Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .RequireScope(ApiAccess.Read).WithTags("Contacts").WithSummary("The refused rows of an import as CSV: row, error, then the row's own columns");
        return api;
    }

    private static async Task<Results<Accepted<ImportView>, ValidationProblem, TooLargeProblem>> ImportAsync(HttpRequest request, string? mapping,
        IContactImports imports, CancellationToken ct)
    {
        Dictionary<string, string>? columns = null;
        if (mapping is not null && !TryMapping(mapping, out columns, out var mappingError))
        {
            return Problems.BadRequest("mapping", mappingError!);
        }
        SpooledCsv? csv = null;
        try
        {
            if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
                if (string.IsNullOrEmpty(boundary))
                {
                    return Problems.BadRequest("file", "The multipart body has no boundary.");
                }
                var reader = new MultipartReader(boundary, request.Body);
                while (await reader.ReadNextSectionAsync(ct) is { } section)
                {
                    var disposition = section.GetContentDispositionHeader();
                    var name = disposition?.Name.Value?.Trim('"');
                    if (name == "mapping")
                    {
                        using var text = new StreamReader(section.Body);
                        if (!TryMapping(await text.ReadToEndAsync(ct), out columns, out mappingError))
                        {
                            return Problems.BadRequest("mapping", mappingError!);
                        }
                    }
                    else if (name == "file" || (csv is null && disposition?.FileName.HasValue == true))
                    {
                        csv?.Dispose();
                        csv = await imports.SpoolAsync(section.Body, ct);
                    }
                }
                if (csv is null)
                {
                    return Problems.BadRequest("file", "The multipart body has no 'file' part: send the CSV as a part named file.");
                }
            }
            else
            {
                csv = await imports.SpoolAsync(request.Body, ct);
            }
            var started = await imports.StartAsync(csv, columns, ct);
            if (started.TooLarge)
            {
                return new TooLargeProblem(started.Error!);
            }
            if (started.Import is null)
            {
                return Problems.BadRequest("file", started.Error!);
            }
            return TypedResults.Accepted($"/api/v1/imports/{started.Import.Id}", View(started.Import));
        }
        finally
        {
            csv?.Dispose();
        }
    }

    private static bool TryMapping(string text, out Dictionary<string, string>? mapping, out string? error)
    {
        error = null;
        mapping = null;
        try
        {
            mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(text, Json);
            if (mapping is not null)
            {
                return true;
            }
        }
        catch (JsonException)
        {
        }
        error = "mapping is a JSON object of CSV column → target, e.g. {\"Mobile\": \"phone\", \"City\": \"attributes.city\", \"Opt-in\": \"consent.promotional\"}.";
        return false;
    }

    internal static ImportView View(ImportRecord i) => new(i.Id, i.Status, i.Rows, i.Imported, i.Updated, i.Failed,
        JsonSerializer.Deserialize<List<ImportErrorView>>(i.Errors ?? "[]", Json) ?? [], i.CreatedAt, i.UpdatedAt, i.FinishedAt, $"/api/v1/imports/{i.Id}/errors.csv");
}
