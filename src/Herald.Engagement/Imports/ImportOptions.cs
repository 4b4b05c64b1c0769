using Microsoft.Extensions.Options;

namespace Herald.Engagement.Imports;

/// <summary>Contact imports (section <c>Herald:Imports</c>).</summary>
public sealed class ImportOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Imports";

    /// <summary>Where uploaded CSV files are spooled while they are imported. Default: <c>{data dir}/imports</c> (set by the host).</summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>The largest CSV upload. Default 1 GiB (about 15 million short rows).</summary>
    public long MaxBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Rows written per transaction (one set-based write of each kind). Default 2,000: more holds more rows in memory.</summary>
    public int BatchSize { get; set; } = 2000;

    /// <summary>Refused rows kept for the errors.csv download (the count of failed rows is always exact). Default 10,000.</summary>
    public int MaxErrorRows { get; set; } = 10_000;

    /// <summary>
    /// A running import whose progress was not written for this long is marked failed (the process that ran it stopped).
    /// Default 1 minute; progress is written at least every few seconds while an import runs.
    /// </summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(1);
}

internal sealed class ImportOptionsValidator : IValidateOptions<ImportOptions>
{
    public ValidateOptionsResult Validate(string? name, ImportOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SpoolDirectory))
        {
            failures.Add("Herald:Imports:SpoolDirectory is required (the host sets {data dir}/imports by default).");
        }
        if (options.MaxBytes < 1024)
        {
            failures.Add("Herald:Imports:MaxBytes must be at least 1024.");
        }
        if (options.BatchSize is < 1 or > 10_000)
        {
            failures.Add("Herald:Imports:BatchSize must be between 1 and 10000.");
        }
        if (options.MaxErrorRows < 0)
        {
            failures.Add("Herald:Imports:MaxErrorRows must not be negative.");
        }
        if (options.StaleAfter < TimeSpan.FromSeconds(10))
        {
            failures.Add("Herald:Imports:StaleAfter must be at least 10 seconds.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
