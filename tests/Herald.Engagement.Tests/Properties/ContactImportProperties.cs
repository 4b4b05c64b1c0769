using System.Text;
using System.Text.Json;
using CsCheck;
using Herald.Dispatch.Intake;
using Herald.Engagement.Contacts;
using Herald.Engagement.Imports;
using Herald.Engagement.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace Herald.Engagement.Tests.Properties;

/// <summary>
/// Issue 14 §3: a CSV import never crashes on what people upload (every row ends imported, updated or refused with its row
/// number and a reason), and valid rows are all taken. The row reader and its checks run only inside the import, so this
/// drives the real import (spool, header check, background reader and writer) on a real SQLite file, with few cases.
/// </summary>
public sealed class ContactImportProperties(ContactImportProperties.Database db) : IClassFixture<ContactImportProperties.Database>
{
    /// <summary>The SQLite file and the running import service.</summary>
    public sealed class Database : SqliteFixture
    {
        private readonly string _spool = Path.Combine(Path.GetTempPath(), "herald-import-properties", Guid.NewGuid().ToString("N"));
        internal ContactImports Imports { get; private set; } = null!;

        public override async ValueTask InitializeAsync()
        {
            await base.InitializeAsync();
            var rules = new ContactRules(Options.Create(new IntakeOptions { DefaultCountry = "+91" }), Time);
            Imports = new ContactImports(Db.Imports, Db.Contacts, rules,
                Options.Create(new ImportOptions { SpoolDirectory = _spool, BatchSize = 7, MaxBytes = 4 * 1024 * 1024 }), Time, NullLogger<ContactImports>.Instance);
            await Imports.StartAsync(CancellationToken.None);
        }

        public override async ValueTask DisposeAsync()
        {
            await Imports.StopAsync(CancellationToken.None);
            Imports.Dispose();
            await base.DisposeAsync();
            if (Directory.Exists(_spool))
            {
                Directory.Delete(_spool, recursive: true);
            }
        }
    }

    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>Valid mobile numbers in E.164: each region's example, its last digits varied.</summary>
    private static readonly Gen<string> ValidPhones = Gen.Select(
        Gen.OneOf([.. Util.GetSupportedRegions().Select(r => Util.GetExampleNumberForType(r, PhoneNumberType.MOBILE)).Where(n => n is not null)
            .Select(n => Util.Format(n, PhoneNumberFormat.E164))]),
        Gen.Int[0, 99], (e164, tail) =>
        {
            var varied = e164[..^2] + tail.ToString("00", System.Globalization.CultureInfo.InvariantCulture);
            return Util.IsValidNumber(Util.Parse(varied, null)) ? varied : e164;
        });

    /// <summary>Cells people upload: numbers of every quality, quotes, separators, line breaks, control characters, long text.</summary>
    private static readonly Gen<string> Cells = Gen.Frequency(
        (4, ValidPhones),
        (3, Gen.String[0, 12]),
        (2, Gen.OneOf("", " ", "\"", "\"\"", "a\"b", "\"quoted\"", "x,y", "x;y", "a\tb", "line\nbreak", "cr\rlf\r\n", "\ufeff", "\u0000", "\ud800", "😀",
            "+", "+0", "00", "12345", "+99999999999999999", "9812345678", "tel:+1", "yes", "no", "maybe", "true", "007", "-1.5", "1e9",
            "Asia/Kolkata", "Mars/Olympus", "en-IN", "=cmd|' /C calc'!A0")),
        (1, Gen.Char.Array[1000, 1100].Select(c => new string(c))),
        (1, Gen.Char['a', 'z'].Array[20_000].Select(c => new string(c))));

    private static readonly Gen<string> Headers = Gen.Frequency(
        (4, Gen.OneOf("phone", "first_name", "city", "consent.promotional", "consent.service", "externalId", "timezone", "locale", "attributes.age", "ignore", "Phone ")),
        (1, Gen.OneOf("consent.marketing", "attributes.", "", "\"", "a,b", "\ufeffphone", "phone\nx", "😀", "\ud800")),
        (1, Gen.String[1, 10]));

    /// <summary>A cell as written: raw, quoted with its quotes doubled, or quoted badly.</summary>
    private static Gen<string> Written(Gen<string> cells) => Gen.Select(cells, Gen.Int[0, 9], (cell, style) => style switch
    {
        < 6 => cell,
        < 9 => "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"",
        _ => "\"" + cell,
    });

    private static readonly Gen<(byte[] Bytes, string Text)> Uploads = Gen.Select(
        Gen.Select(Gen.Bool, Headers.Array[0, 5]).Select(h => h.Item1 ? ["phone", .. h.Item2] : h.Item2),
        Written(Cells).Array[0, 7].Array[0, 12],
        Gen.OneOf(",", ";", "\t", "|"),
        Gen.OneOf("\n", "\r\n", "\r"),
        Gen.Int[0, 4],
        (header, rows, separator, newline, encoding) =>
        {
            var text = string.Join(newline, rows.Select(r => string.Join(separator, r)).Prepend(string.Join(separator, header)));
            var bytes = encoding switch
            {
                0 => Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(text)).ToArray(),
                1 => Encoding.Latin1.GetBytes(text),
                2 => Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(text)).ToArray(),
                _ => Encoding.UTF8.GetBytes(text),
            };
            return (bytes, text);
        });

    [Fact]
    public async Task Import_AnyCsv_EveryRowIsImportedUpdatedOrRefusedWithItsRowAndAReason()
    {
        await Uploads.SampleAsync(async upload =>
        {
            var import = await RunAsync(upload.Bytes);
            if (import is null)
            {
                return; // the header was refused before anything was recorded (checked in RunAsync)
            }
            Assert.True(import.Status == "completed", $"The import {import.Status}: {import.Errors}");
            Assert.Equal(import.Rows, import.Imported + import.Updated + import.Failed);
            var errors = JsonSerializer.Deserialize<List<ImportError>>(import.Errors!, JsonSerializerOptions.Web)!;
            Assert.Equal(Math.Min(import.Failed, 20), errors.Count);
            Assert.All(errors, e =>
            {
                Assert.InRange(e.Row, 2, long.MaxValue);
                Assert.False(string.IsNullOrWhiteSpace(e.Error));
            });
            var errorRows = await db.Db.Imports.GetErrorRowsAsync(import.Id, CancellationToken.None);
            Assert.Equal(import.Failed > 0, errorRows is not null);
        }, iter: 60, threads: 1, print: u => u.Text.Length > 300 ? u.Text[..300] + "…" : u.Text);
    }

    [Fact]
    public void ReadAndCheck_AnyHeaderAndCells_NeverThrowAndAnswerAContactOrAReason()
    {
        var rules = new ContactRules(Options.Create(new IntakeOptions { DefaultCountry = "+91" }), db.Time);
        Gen.Select(Gen.Select(Gen.Bool, Headers.Array[0, 6]).Select(h => h.Item1 ? ["phone", .. h.Item2] : h.Item2),
            Gen.Frequency((9, Cells.Select(c => (string?)c)), (1, Gen.Const((string?)null))).Array[0, 9].Array[1, 5]).Sample((header, rows) =>
        {
            var columns = ImportColumns.Plan(header, null, out var planError);
            Assert.True(columns is not null || !string.IsNullOrWhiteSpace(planError));
            foreach (var row in columns is null ? [] : rows)
            {
                var input = columns!.Read(row, out var readError);
                if (input is null)
                {
                    Assert.False(string.IsNullOrWhiteSpace(readError));
                    continue;
                }
                var problems = new Dictionary<string, string>();
                var change = rules.Check(input, "import", problems);
                Assert.True(change is not null ? problems.Count == 0 : problems.Values.All(p => !string.IsNullOrWhiteSpace(p)) && problems.Count > 0);
            }
        }, iter: 3000);
    }

    private static readonly Gen<(string[] Header, string[][] Rows)> ValidFiles = Gen.Select(
        Gen.OneOf("city", "first_name", "age", "plan", "attributes.score").Array[0, 4].Select(a => a.Distinct().ToArray()),
        Gen.Int[1, 30],
        Gen.Bool,
        (attributes, count, consent) => (attributes, count, consent))
        .SelectMany(f => Gen.Select(ValidPhones.Array[f.count].Where(p => p.Distinct().Count() == p.Length),
            Gen.OneOf(Gen.String[1, 30].Where(s => s.Trim().Length > 0 && !s.Any(char.IsControl)), Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Gen.OneOf("true", "2026-03-01"))
                .Array[f.attributes.Length].Array[f.count],
            Gen.OneOf("yes", "no", "1", "0", "true", "false").Array[f.count],
            (phones, cells, consents) =>
            {
                string[] header = ["phone", .. f.attributes, .. f.consent ? ["consent.promotional"] : Array.Empty<string>()];
                var rows = phones.Select((p, i) => (string[])[p, .. cells[i], .. f.consent ? [consents[i]] : Array.Empty<string>()]).ToArray();
                return (header, rows);
            }));

    [Fact]
    public async Task Import_ValidRows_AreAllImportedOrUpdated()
    {
        await ValidFiles.SampleAsync(async file =>
        {
            var csv = string.Join("\r\n", file.Rows.Select(Line).Prepend(Line(file.Header)));
            var import = await RunAsync(Encoding.UTF8.GetBytes(csv));

            Assert.NotNull(import);
            Assert.Equal(("completed", file.Rows.Length, 0L), (import.Status, import.Rows, import.Failed));
            Assert.Equal(file.Rows.Length, import.Imported + import.Updated);
        }, iter: 40, threads: 1, print: f => string.Join("\n", f.Rows.Select(Line).Prepend(Line(f.Header))));

        static string Line(string[] cells) => string.Join(",", cells.Select(c => "\"" + c.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
    }

    /// <summary>Posts the file; null when the header was refused (with a reason), else the finished import.</summary>
    private async Task<Herald.Storage.Records.ImportRecord?> RunAsync(byte[] bytes)
    {
        using var spooled = await db.Imports.SpoolAsync(new MemoryStream(bytes), CancellationToken.None);
        var start = await db.Imports.StartAsync(spooled, null, CancellationToken.None);
        if (start.Import is null)
        {
            Assert.False(string.IsNullOrWhiteSpace(start.Error));
            return null;
        }
        for (var i = 0; i < 600; i++)
        {
            var import = await db.Db.Imports.GetAsync(start.Import.Id, CancellationToken.None);
            if (import is { Status: not "running" })
            {
                return import;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }
        throw new TimeoutException($"Import {start.Import.Id} did not finish in 12 seconds.");
    }

    private sealed record ImportError(long Row, string Error);
}
