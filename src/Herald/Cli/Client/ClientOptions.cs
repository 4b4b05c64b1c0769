using System.CommandLine;

namespace Herald.Cli.Client;

/// <summary>
/// The options every client command shares: where the server is, the API key and the output format. Each
/// command group makes its own set (recursive, so its subcommands take them too).
/// </summary>
internal sealed class ClientOptions
{
    public const string DefaultServer = "http://127.0.0.1:8080";

    public Option<string?> Server { get; } = new("--server")
    {
        Description = $"Herald's base URL. Default: HERALD_URL, else {DefaultServer}.",
        Recursive = true,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = "The API key. Default: HERALD_API_KEY, else the file data/api-key (in HERALD_DATA_DIR or ./data) when it exists.",
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print the API's JSON instead of tables (for scripts).",
        Recursive = true,
    };

    /// <summary>Adds the options to a command group.</summary>
    public T AddTo<T>(T command) where T : Command
    {
        command.Add(Server);
        command.Add(ApiKey);
        command.Add(Json);
        return command;
    }

    /// <summary>Resolves the options with their environment defaults.</summary>
    public ClientSettings Resolve(ParseResult parse)
    {
        var server = parse.GetValue(Server);
        if (string.IsNullOrWhiteSpace(server))
        {
            server = Environment.GetEnvironmentVariable("HERALD_URL");
        }
        if (string.IsNullOrWhiteSpace(server))
        {
            server = DefaultServer;
        }
        if (!Uri.TryCreate(server.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException(ExitCodes.Usage, $"--server '{server}' is not an http(s) URL such as {DefaultServer}.");
        }
        var key = parse.GetValue(ApiKey);
        var keySource = "--api-key";
        if (string.IsNullOrWhiteSpace(key))
        {
            key = Environment.GetEnvironmentVariable("HERALD_API_KEY");
            keySource = "HERALD_API_KEY";
        }
        if (string.IsNullOrWhiteSpace(key))
        {
            var dataDir = Environment.GetEnvironmentVariable("HERALD_DATA_DIR") is { Length: > 0 } dir ? dir : "data";
            var file = Path.Combine(dataDir, "api-key");
            keySource = file;
            key = File.Exists(file) ? File.ReadAllText(file).Trim() : null;
        }
        return new ClientSettings(uri, string.IsNullOrWhiteSpace(key) ? null : key.Trim(), string.IsNullOrWhiteSpace(key) ? null : keySource,
            parse.GetValue(Json));
    }
}

/// <summary>The resolved client settings.</summary>
internal sealed record ClientSettings(Uri Server, string? ApiKey, string? ApiKeySource, bool Json);
