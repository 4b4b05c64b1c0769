using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using CsvHelper;
using Herald.Engagement.Contacts;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Imports;

/// <summary>Why an import did not start: the upload is over the limit, or its header and mapping do not work (nothing was recorded).</summary>
/// <param name="Import">The import, queued.</param>
/// <param name="Error">What to fix.</param>
/// <param name="TooLarge">Whether the upload is over Herald:Imports:MaxBytes.</param>
public sealed record ImportStart(ImportRecord? Import, string? Error, bool TooLarge = false);

/// <summary>An upload written to the spool folder; disposing it removes the file unless an import took it.</summary>
/// <param name="path">The file.</param>
public sealed class SpooledCsv(string path) : IDisposable
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;
    /// <summary>Bytes written.</summary>
    public long Bytes { get; internal set; }
    /// <summary>Whether the upload went over Herald:Imports:MaxBytes (the rest was not read).</summary>
    public bool TooLarge { get; internal set; }
    internal bool Taken { get; set; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!Taken)
        {
            File.Delete(Path);
        }
    }
}

/// <summary>Contact imports from CSV: spooled to the data folder, then read row by row in the background.</summary>
public interface IContactImports
{
    /// <summary>Writes an upload to the spool folder (stops reading once it is over Herald:Imports:MaxBytes).</summary>
    Task<SpooledCsv> SpoolAsync(Stream csv, CancellationToken cancellationToken);

    /// <summary>
    /// Checks a spooled CSV's header against <paramref name="mapping"/> (CSV column → target), records the import as running and
    /// queues it for the background worker, which then owns the file.
    /// </summary>
    Task<ImportStart> StartAsync(SpooledCsv csv, IReadOnlyDictionary<string, string>? mapping, CancellationToken cancellationToken);
}

/// <summary>
/// Starts imports and runs them, one at a time, in the background. Rows are parsed and checked on one task and written in
/// batches (one transaction each) on another, so reading and writing overlap. A bad row is counted, kept for errors.csv and
/// skipped: it never stops the import. An import that cannot finish (Herald stops, the database fails) is marked failed with
/// the reason and the row it reached; posting the same file again is safe, because contacts are upserted by phone.
/// </summary>
internal sealed partial class ContactImports(
    IImportStore imports,
    IContactStore contacts,
    ContactRules rules,
    IOptions<ImportOptions> options,
    TimeProvider time,
    ILogger<ContactImports> logger) : BackgroundService, IContactImports
{
    private const int FirstErrors = 20;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromMilliseconds(500);
    private readonly Channel<Job> _queue = Channel.CreateUnbounded<Job>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, ImportRecord> _waiting = new(StringComparer.Ordinal);

    private sealed record Job(ImportRecord Import, string File, IReadOnlyDictionary<string, string>? Mapping);

    // The separator (, ; tab |) is detected from the first lines. A line break always ends a record, so one stray quote cannot
    // swallow the rest of the file; a record with bad quoting is reported and refused as a row error.
    private static CsvReaderOptions Config(Action<CsvMalformedRecord>? malformed = null) => CsvReaderOptions.Default with
    {
        HasHeader = true,
        AllowLineBreaksInQuotes = false,
        TrackLineNumbers = true,
        TrimWhitespace = true,
        OnMalformedRecord = malformed,
    };

    public async Task<SpooledCsv> SpoolAsync(Stream csv, CancellationToken cancellationToken)
    {
        var o = options.Value;
        Directory.CreateDirectory(o.SpoolDirectory!);
        var spooled = new SpooledCsv(Path.Combine(o.SpoolDirectory!, Herald.Core.Ids.NewId("imp") + ".csv"));
        try
        {
            // Only Herald's user may read the upload: it is personal data.
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            await using var spool = new FileStream(spooled.Path, create);
            var buffer = new byte[81920];
            int read;
            while ((read = await csv.ReadAsync(buffer, cancellationToken)) > 0)
            {
                spooled.Bytes += read;
                if (spooled.Bytes > o.MaxBytes)
                {
                    spooled.TooLarge = true;
                    break;
                }
                await spool.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            return spooled;
        }
        catch
        {
            spooled.Dispose();
            throw;
        }
    }

    public async Task<ImportStart> StartAsync(SpooledCsv csv, IReadOnlyDictionary<string, string>? mapping, CancellationToken cancellationToken)
    {
        if (csv.TooLarge)
        {
            return new ImportStart(null, $"The CSV is larger than the {options.Value.MaxBytes:N0} byte limit (Herald:Imports:MaxBytes): split it or raise the setting.", TooLarge: true);
        }
        var header = await ReadHeaderAsync(csv.Path, cancellationToken);
        if (header is null)
        {
            return new ImportStart(null, "The CSV is empty: its first line is the header, e.g. phone,first_name,city,consent.promotional.");
        }
        if (ImportColumns.Plan(header, mapping, out var error) is null)
        {
            return new ImportStart(null, error);
        }
        var now = time.GetUtcNow();
        var import = new ImportRecord { Id = System.IO.Path.GetFileNameWithoutExtension(csv.Path), Status = "running", Errors = "[]", CreatedAt = now, UpdatedAt = now };
        await imports.InsertAsync(import, cancellationToken);
        _waiting[import.Id] = import;
        csv.Taken = true;
        await _queue.Writer.WriteAsync(new Job(import, csv.Path, mapping), cancellationToken);
        return new ImportStart(import, null);
    }

    private static async Task<string[]?> ReadHeaderAsync(string file, CancellationToken cancellationToken)
    {
        await using var csv = CsvReader.FromFile(file, Config());
        await csv.ReadHeaderAsync(cancellationToken);
        return csv.Headers.Count == 0 ? null : [.. csv.Headers];
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Spooled files left by an earlier process belong to imports the sweep marks failed. They are removed here, before the
        // service counts as started, not in ExecuteAsync: since .NET 10 that runs on its own thread, so it could delete the
        // file of an upload this process spooled and queued meanwhile.
        var spool = options.Value.SpoolDirectory!;
        if (Directory.Exists(spool))
        {
            foreach (var stale in Directory.EnumerateFiles(spool, "imp_*.csv"))
            {
                File.Delete(stale);
            }
        }
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(SweepAsync(stoppingToken), RunAsync(stoppingToken));

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await ImportAsync(job, stoppingToken);
                }
                finally
                {
                    File.Delete(job.File);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: queued imports are marked failed below.
        }
        foreach (var waiting in _waiting.Values)
        {
            await FailAsync(waiting, "Herald stopped before this import started: post the file again.", CancellationToken.None);
        }
    }

    /// <summary>Keeps this process's queued imports fresh and fails running imports whose process stopped (after a crash or on another node).</summary>
    private async Task SweepAsync(CancellationToken stoppingToken)
    {
        var staleAfter = options.Value.StaleAfter;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var now = time.GetUtcNow();
                foreach (var waiting in _waiting.Values)
                {
                    await imports.UpdateAsync(waiting with { UpdatedAt = now }, stoppingToken);
                }
                var failed = await imports.FailStaleAsync(now - staleAfter,
                    "Herald stopped while this import ran (its progress stopped): post the file again; rows already imported are updated, not duplicated.", stoppingToken);
                if (failed > 0)
                {
                    LogStale(failed);
                }
                await Task.Delay(staleAfter / 3, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private sealed record Row(long Number, ContactChange? Change, string? Error, string?[] Fields);

    private async Task ImportAsync(Job job, CancellationToken stoppingToken)
    {
        var o = options.Value;
        using var progress = new Progress(job.Import, o.MaxErrorRows);
        var batches = Channel.CreateBounded<List<Row>>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        _waiting.TryRemove(job.Import.Id, out _);
        var lastWrite = time.GetTimestamp();
        try
        {
            var reading = Task.Run(() => ReadRowsAsync(job, progress, batches.Writer, o.BatchSize, failure.Token), failure.Token);
            try
            {
                await foreach (var batch in batches.Reader.ReadAllAsync(failure.Token))
                {
                    var changes = batch.Where(r => r.Change is not null).ToList();
                    var results = changes.Count == 0 ? [] : await contacts.UpsertAsync([.. changes.Select(r => r.Change!)], failure.Token);
                    var outcome = changes.Zip(results).ToDictionary(x => x.First.Number, x => x.Second);
                    foreach (var row in batch)
                    {
                        var error = row.Error ?? outcome[row.Number].Error;
                        if (error is not null)
                        {
                            progress.Fail(row, error);
                        }
                        else if (outcome[row.Number].Created)
                        {
                            progress.Imported++;
                        }
                        else
                        {
                            progress.Updated++;
                        }
                    }
                    progress.Rows += batch.Count;
                    progress.LastRow = batch[^1].Number;
                    if (time.GetElapsedTime(lastWrite) >= ProgressEvery)
                    {
                        await imports.UpdateAsync(progress.Record("running", time.GetUtcNow()), failure.Token);
                        lastWrite = time.GetTimestamp();
                    }
                }
            }
            catch
            {
                await failure.CancelAsync();
                throw;
            }
            finally
            {
                try
                {
                    await reading;
                }
                catch (OperationCanceledException) when (failure.IsCancellationRequested)
                {
                }
            }
            var now = time.GetUtcNow();
            await imports.FinishAsync(progress.Record("completed", now) with { FinishedAt = now }, progress.ErrorRows(), CancellationToken.None);
            LogCompleted(job.Import.Id, progress.Rows, progress.Imported, progress.Updated, progress.Failed);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await FailAsync(progress.Record("failed", time.GetUtcNow()),
                $"Herald stopped during the import after row {progress.LastRow:N0}: post the file again; rows already imported are updated, not duplicated.",
                CancellationToken.None, progress.ErrorRows());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(ex, job.Import.Id);
            var cause = ex is ChannelClosedException { InnerException: { } inner } ? inner : ex;
            await FailAsync(progress.Record("failed", time.GetUtcNow()),
                $"The import stopped after row {progress.LastRow:N0}: {cause.Message} Post the file again once this is fixed; rows already imported are updated, not duplicated.",
                CancellationToken.None, progress.ErrorRows());
        }
    }

    private async Task ReadRowsAsync(Job job, Progress progress, ChannelWriter<List<Row>> batches, int batchSize, CancellationToken cancellationToken)
    {
        try
        {
            var malformed = new Dictionary<long, CsvMalformedReason>();
            await using var csv = CsvReader.FromFile(job.File, Config(m => malformed[m.RecordNumber] = m.Reason));
            await csv.ReadHeaderAsync(cancellationToken);
            var header = csv.Headers.ToArray();
            var columns = ImportColumns.Plan(header, job.Mapping, out var planError) ?? throw new InvalidDataException(planError);
            progress.Header = header;
            var batch = new List<Row>(batchSize);
            while (await csv.ReadAsync(cancellationToken))
            {
                var number = csv.LineNumber;
                var fields = new string?[csv.FieldCount];
                for (var i = 0; i < fields.Length; i++)
                {
                    fields[i] = csv.GetString(i);
                }
                // The malformed record's number counts the header as record 1.
                string? error = malformed.Remove(csv.RowNumber + 1, out var reason)
                    ? $"The row is not valid CSV ({reason}): quote a field that holds a quote, a separator or a line break, and double the quotes inside it."
                    : null;
                ContactChange? change = null;
                if (error is null)
                {
                    var input = columns.Read(fields, out error);
                    if (input is not null)
                    {
                        var problems = new Dictionary<string, string>();
                        change = rules.Check(input, "import", problems);
                        error = change is null ? string.Join(" ", problems.Select(p => p.Key == "phone" ? p.Value : $"{p.Key}: {p.Value}")) : null;
                    }
                }
                batch.Add(new Row(number, change, error, fields));
                if (batch.Count == batchSize)
                {
                    await batches.WriteAsync(batch, cancellationToken);
                    batch = new List<Row>(batchSize);
                }
            }
            if (batch.Count > 0)
            {
                await batches.WriteAsync(batch, cancellationToken);
            }
            batches.Complete();
        }
        catch (Exception ex)
        {
            batches.Complete(ex);
        }
    }

    private async Task FailAsync(ImportRecord import, string reason, CancellationToken cancellationToken, string? errorRows = null)
    {
        var errors = JsonSerializer.Deserialize<List<ImportError>>(import.Errors ?? "[]", Json) ?? [];
        errors.Insert(0, new ImportError(0, reason));
        var now = time.GetUtcNow();
        try
        {
            await imports.FinishAsync(import with { Status = "failed", Errors = JsonSerializer.Serialize(errors, Json), UpdatedAt = now, FinishedAt = now }, errorRows, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(ex, import.Id); // the sweep marks it failed once its progress is stale
        }
    }

    /// <summary>One refused row for the status answer: its row number in the file (the header is row 1) and why.</summary>
    internal sealed record ImportError(long Row, string Error);

    /// <summary>Counts, the first errors and the refused rows of one import (touched only by the writing task).</summary>
    private sealed class Progress(ImportRecord import, int maxErrorRows) : IDisposable
    {
        private readonly List<ImportError> _first = [];
        private readonly StringWriter _errorRows = new(CultureInfo.InvariantCulture);
        private CsvWriter? _errorCsv;
        private int _kept;

        public long Rows { get; set; }
        public long Imported { get; set; }
        public long Updated { get; set; }
        public long Failed { get; private set; }
        public long LastRow { get; set; }
        public string[] Header { get; set; } = [];

        public void Fail(Row row, string error)
        {
            Failed++;
            if (_first.Count < FirstErrors)
            {
                _first.Add(new ImportError(row.Number, error));
            }
            if (_kept >= maxErrorRows)
            {
                return;
            }
            if (_errorCsv is null)
            {
                _errorCsv = CsvWriter.Create(_errorRows, CsvWriterOptions.Default with { ValidateFieldCount = false });
                _errorCsv.WriteRecord(["row", "error", .. Header]);
            }
            _errorCsv.WriteRecord([row.Number.ToString(CultureInfo.InvariantCulture), error, .. row.Fields]);
            _kept++;
        }

        public ImportRecord Record(string status, DateTimeOffset now) => import with
        {
            Status = status, Rows = Rows, Imported = Imported, Updated = Updated, Failed = Failed, Errors = JsonSerializer.Serialize(_first, Json), UpdatedAt = now,
        };

        public void Dispose()
        {
            _errorCsv?.Dispose();
            _errorRows.Dispose();
        }

        public string? ErrorRows()
        {
            _errorCsv?.Flush();
            return _kept == 0 ? null : _errorRows.ToString();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {ImportId} completed: {Rows} rows, {Imported} imported, {Updated} updated, {Failed} failed")]
    private partial void LogCompleted(string importId, long rows, long imported, long updated, long failed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Import {ImportId} failed")]
    private partial void LogFailed(Exception exception, string importId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Marked {Count} running imports failed: their progress stopped (Herald stopped while they ran)")]
    private partial void LogStale(int count);
}
