namespace Herald.Cli.Client;

/// <summary>The exit codes of the client commands.</summary>
internal static class ExitCodes
{
    /// <summary>Done (for send --wait: delivered).</summary>
    public const int Ok = 0;
    /// <summary>The API refused the request (a problem answer).</summary>
    public const int Api = 1;
    /// <summary>Bad usage, or Herald could not be reached.</summary>
    public const int Usage = 2;
    /// <summary>The message reached a final state other than delivered.</summary>
    public const int NotDelivered = 3;
    /// <summary>The message had no final state before the timeout.</summary>
    public const int Timeout = 4;
}

/// <summary>A failure to report to the person at the terminal, with the exit code to end with.</summary>
internal class CliException(int exitCode, string message, IReadOnlyList<string>? details = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>Further lines (field errors, hints).</summary>
    public IReadOnlyList<string> Details { get; } = details ?? [];
}

/// <summary>The API answered with an error (problem details).</summary>
internal sealed class ApiException(int status, string message, IReadOnlyList<string> details, System.Text.Json.Nodes.JsonNode? problem)
    : CliException(ExitCodes.Api, message, details)
{
    public int Status { get; } = status;

    /// <summary>The problem details as sent, for --json.</summary>
    public System.Text.Json.Nodes.JsonNode? Problem { get; } = problem;
}
