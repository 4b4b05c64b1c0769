using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Herald.Tests.Infrastructure;

namespace Herald.Tests;

/// <summary>
/// The README as a test: every <c>```bash</c> block, in order, pasted into one shell as a user in the repository root
/// would, against the real <c>herald</c> executable. What differs from a person's terminal, and why:
/// <list type="bullet">
/// <item><c>dotnet run --project src/Herald --</c> is the <c>herald</c> executable these tests already built (on PATH):
/// the README says the two are the same, and building again would take minutes.</item>
/// <item>Ports 8080 and 9090 become free ports of this run (<c>--urls</c> is added to <c>serve</c> and <c>simulate</c>,
/// <c>HERALD_URL</c> points the CLI at it), and the "repository root" is an empty folder of this run, so the data folder
/// (<c>./data</c>) is new and nothing collides with another run or a developer's server.</item>
/// <item>A server the README runs in the foreground of a first terminal (the quick start) runs in the background, and
/// the test waits for <c>/readyz</c> as a person waits for the banner; before a block that starts servers again, the
/// earlier ones are stopped, as the README asks (Ctrl+C).</item>
/// </list>
/// Blocks that are not run are listed in <see cref="SkipReason"/> with why.
/// </summary>
public sealed partial class ReadmeTests
{
    private static readonly TimeSpan BlockTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Why a block is not run, or null to run it.</summary>
    internal static string? SkipReason(string block) =>
        block.Contains("./test.sh", StringComparison.Ordinal) ? "runs the whole test suite, this test included"
        : block.Contains("scripts/publish.sh", StringComparison.Ordinal) ? "publishes self-contained binaries for two platforms (minutes of CPU); scripts/publish.sh is run by hand and in the issue's report"
        : block.Contains("scripts/pack-tool.sh", StringComparison.Ordinal) ? "packs and installs a global .NET tool (changes the machine's ~/.dotnet/tools); run by hand and in the issue's report"
        : block.Contains("--database postgres", StringComparison.Ordinal) ? "needs a PostgreSQL server and password of your own (the connection string has a placeholder); the PostgreSQL suites cover it"
        : block.Contains("providers add --from-file", StringComparison.Ordinal) ? "commands that need ids of your own ($KEY_ID), run until Ctrl+C (dlr tail) or undo the tour (remove)"
        : null;

    /// <summary>What a block's output must show, beyond ending with status 0 and no problem details.</summary>
    private static readonly (string InBlock, string[] Expected)[] Expectations =
    [
        ("providers/Sandbox/test-sms", ["\"outcome\":\"accepted\"", "\"encoding\":\"gsm7\""]),
        ("\"nickname\": \"Kaleyra_SMS\"", ["\"callbackUrl\":", "\"nickname\":\"Kaleyra_SMS\""]),
        ("providers/Kaleyra_SMS/test-sms", ["\"outcome\":\"accepted\""]),
        ("MESSAGE_ID=$(grep", ["\"timeline\":", "\"to\":\"+919812345678\""]),
        ("Idempotency-Key: order-4711-otp", ["\"status\":\"queued\""]),
        ("herald providers list", ["Kaleyra_SMS", "delivered"]),
    ];

    [Fact]
    public async Task Readme_BashBlocks_WorkWhenPastedInOrder()
    {
        var root = RepositoryRoot();
        var blocks = BashBlocks(await File.ReadAllTextAsync(Path.Combine(root, "README.md"), TestContext.Current.CancellationToken));
        Assert.NotEmpty(blocks);

        var folder = Directory.CreateTempSubdirectory("herald-readme-").FullName;
        var port = HeraldProcess.FreePort();
        var simulatorPort = HeraldProcess.FreePort();
        await using var shell = Shell.Start(folder, new Dictionary<string, string>
        {
            ["PATH"] = Path.GetDirectoryName(HeraldProcess.Executable) + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["HERALD_URL"] = $"http://127.0.0.1:{port}",
            ["NO_COLOR"] = "1",
        });
        var report = new StringBuilder();
        var fullReport = new StringBuilder(); // HERALD_README_REPORT=file keeps every command and its result
        var ran = 0;
        foreach (var (index, heading, text) in blocks)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"=== block {index} ({heading})");
            if (SkipReason(text) is { } reason)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"skipped: {reason}").AppendLine(text).AppendLine();
                continue;
            }
            var script = Adapt(text, port, simulatorPort, out var startsServer);
            if (startsServer)
            {
                await shell.RunAsync("kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; true", BlockTimeout); // "stop the earlier server first"
            }
            var (status, output) = await shell.RunAsync(script, BlockTimeout);
            ran++;
            report.AppendLine(script).AppendLine(CultureInfo.InvariantCulture, $"--- exit {status}").AppendLine(output).AppendLine();
            TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
            fullReport.Append(report);
            report.Clear();
            Assert.True(status == 0, $"README block {index} ({heading}) ended with {status}:\n{script}\n{output}");
            Assert.False(ProblemStatus().IsMatch(output), $"README block {index} ({heading}) got an error answer:\n{script}\n{output}");
            foreach (var (inBlock, expected) in Expectations.Where(e => text.Contains(e.InBlock, StringComparison.Ordinal)))
            {
                foreach (var e in expected)
                {
                    Assert.True(output.Contains(e, StringComparison.Ordinal), $"README block {index} ({heading}): '{e}' not in its output:\n{script}\n{output}");
                }
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        fullReport.Append(report);
        if (Environment.GetEnvironmentVariable("HERALD_README_REPORT") is { Length: > 0 } reportFile)
        {
            await File.WriteAllTextAsync(reportFile, fullReport.ToString(), TestContext.Current.CancellationToken);
        }
        Assert.True(ran >= 8, $"only {ran} README blocks ran");
    }

    [Fact]
    public void SkipReason_TheBlocksNotRun_SaySo()
    {
        var blocks = BashBlocks(File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")));
        var skipped = blocks.Where(b => SkipReason(b.Text) is not null).Select(b => b.Heading).ToList();

        // Exactly these, so a new block is run unless someone decides (here) that it cannot be.
        Assert.Equal(["Quick start", "Install", "Install", "CLI", "PostgreSQL"], skipped);
    }

    /// <summary>The README's text adapted to this run (see the class summary); <paramref name="startsServer"/> when it runs <c>serve</c>.</summary>
    internal static string Adapt(string block, int port, int simulatorPort, out bool startsServer)
    {
        var text = block.Replace("dotnet run --project src/Herald --", "herald", StringComparison.Ordinal)
            .Replace("127.0.0.1:8080", $"127.0.0.1:{port}", StringComparison.Ordinal)
            .Replace("127.0.0.1:9090", $"127.0.0.1:{simulatorPort}", StringComparison.Ordinal);
        startsServer = false;
        var lines = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            var command = line.Split(" #", 2)[0].TrimEnd();
            if (command.StartsWith("herald serve", StringComparison.Ordinal) || command.StartsWith("herald simulate", StringComparison.Ordinal))
            {
                var serve = command.StartsWith("herald serve", StringComparison.Ordinal);
                startsServer |= serve;
                var background = command.EndsWith('&');
                command = command.TrimEnd('&').TrimEnd();
                command = serve ? $"{command} --urls http://127.0.0.1:{port}" : $"{command} --urls http://127.0.0.1:{simulatorPort}";
                lines.Add(command + " &");
                if (serve && !background)
                {
                    // The README leaves it in the foreground of its own terminal and goes on in a second one once it runs.
                    lines.Add($"until curl -sf http://127.0.0.1:{port}/readyz >/dev/null; do sleep 1; done");
                }
                continue;
            }
            lines.Add(line);
        }
        return string.Join('\n', lines);
    }

    internal static List<(int Index, string Heading, string Text)> BashBlocks(string markdown)
    {
        var blocks = new List<(int, string, string)>();
        var heading = "";
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith('#'))
            {
                heading = lines[i].TrimStart('#').Trim();
            }
            else if (lines[i].Trim() == "```bash")
            {
                var body = new List<string>();
                for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
                {
                    body.Add(lines[i]);
                }
                blocks.Add((blocks.Count + 1, heading, string.Join('\n', body)));
            }
        }
        return blocks;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && File.Exists(Path.Combine(dir.FullName, "Herald.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("The repository root (README.md, Herald.slnx) is not above " + AppContext.BaseDirectory);
    }

    // An API error as curl prints it: problem details carry "status": 4xx/5xx.
    [GeneratedRegex("\"status\":\\s*[45][0-9][0-9]")]
    private static partial Regex ProblemStatus();

    /// <summary>One bash process fed block after block, like one terminal: variables and background jobs carry over.</summary>
    private sealed class Shell : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private int _next;

        private Shell(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public static Shell Start(string folder, IReadOnlyDictionary<string, string> environment)
        {
            var start = new ProcessStartInfo("bash", ["--noprofile", "--norc", "-s"])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = folder,
            };
            start.Environment.Remove("HERALD_API_KEY");
            start.Environment.Remove("HERALD_DATA_DIR");
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }
            return new Shell(Process.Start(start) ?? throw new InvalidOperationException("bash did not start."));
        }

        public async Task<(int Status, string Output)> RunAsync(string script, TimeSpan timeout)
        {
            var marker = $"::readme-block-{++_next}::";
            int from;
            lock (_output)
            {
                from = _output.Length;
            }
            var file = Path.Combine(Path.GetTempPath(), $"herald-readme-{Environment.ProcessId}-{_next}.sh");
            await File.WriteAllTextAsync(file, script + "\n", TestContext.Current.CancellationToken);
            await _process.StandardInput.WriteLineAsync($"source '{file}'; echo \"{marker} $?\"");
            await _process.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                string text;
                lock (_output)
                {
                    text = _output.ToString(from, _output.Length - from);
                }
                var at = text.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    var status = int.Parse(text[(at + marker.Length)..].Trim().Split('\n')[0], CultureInfo.InvariantCulture);
                    File.Delete(file);
                    return (status, text[..at]);
                }
                if (_process.HasExited || deadline.Elapsed > timeout)
                {
                    throw new TimeoutException($"The block did not finish in {timeout}:\n{script}\n--- output so far\n{text}");
                }
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                try
                {
                    await _process.StandardInput.WriteLineAsync("kill $(jobs -p) 2>/dev/null; wait; exit 0");
                    await _process.StandardInput.FlushAsync();
                    await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
                }
                catch (Exception ex) when (ex is IOException or TimeoutException)
                {
                    // fall through to the kill below
                }
            }
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
        }
    }
}
