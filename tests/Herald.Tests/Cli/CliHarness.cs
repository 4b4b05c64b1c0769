using System.Diagnostics;
using System.Text.Json.Nodes;
using Herald.Simulator;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Cli;

/// <summary>What one run of the real <c>herald</c> executable printed and how it ended.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;

    /// <summary>Standard output parsed as JSON (it must be exactly one JSON document).</summary>
    public JsonNode Json => JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("herald printed null.");

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the real <c>herald</c> executable as a client, with standard output and error kept apart.</summary>
public static class HeraldCliRunner
{
    public static async Task<CliResult> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(HeraldProcess.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            // An empty folder: no ./data/api-key to find by accident.
            WorkingDirectory = workingDirectory ?? Directory.CreateTempSubdirectory("herald-cli-").FullName,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment.Remove("HERALD_API_KEY");
        start.Environment.Remove("HERALD_DATA_DIR");
        start.Environment.Remove("HERALD_URL");
        start.Environment["NO_COLOR"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("herald did not start.");
        process.StandardInput.Close();
        var ct = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct).WaitAsync(timeout ?? TimeSpan.FromSeconds(60), ct);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"herald {string.Join(' ', start.ArgumentList)} did not end:\n{await stdout}\n{await stderr}");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>A real Herald server (SQLite) and a simulator, and the CLI pointed at them.</summary>
public abstract class CliTestBase : IAsyncLifetime
{
    protected readonly SimulatorOptions SimulatorOptions = new()
    {
        Urls = "http://127.0.0.1:0",
        ApiKey = "kaleyra-api-key-secret",
        Sid = "HXIN1234567890",
        DlrDelay = TimeSpan.FromMilliseconds(30),
        DeliveryRate = 1.0,
        DlrRetryBaseDelay = TimeSpan.FromMilliseconds(50),
        Seed = 7,
    };

    protected HeraldInstance Herald { get; private set; } = null!;
    protected SimulatorHost Simulator { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Simulator = await SimulatorHost.StartAsync(SimulatorOptions);
        Herald = await HeraldInstance.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Herald.DisposeAsync();
        await Simulator.DisposeAsync();
    }

    /// <summary>The connection options for this server.</summary>
    protected string[] Connection(string? apiKey = null) => ["--server", Herald.BaseUrl.ToString(), "--api-key", apiKey ?? HeraldInstance.ApiKey];

    /// <summary>Runs <c>herald</c> with these arguments against this server.</summary>
    protected Task<CliResult> RunAsync(params string[] arguments) => HeraldCliRunner.RunAsync([.. arguments, .. Connection()]);

    /// <summary>The seed's provider, sending its own callback URL ($$CallbackURL), as POST /api/v1/providers takes it.</summary>
    protected object SeedProvider(string nickname = "Kaleyra_SMS") => HeraldInstance.SeedProvider(nickname, Simulator, SimulatorOptions, "$$CallbackURL");

    /// <summary>Creates the seed's provider through the API and returns its id.</summary>
    protected async Task<string> CreateProviderAsync(string nickname = "Kaleyra_SMS")
    {
        var response = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(Herald.Api, "/api/v1/providers", SeedProvider(nickname), Ct);
        return (await HeraldInstance.ReadObjectAsync(response, System.Net.HttpStatusCode.Created))["id"]!.GetValue<string>();
    }
}
