using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Spectre.Console;

namespace Herald.Bench;

/// <summary>
/// A child process (herald serve or herald simulate) with its output in a log file. Every live child is
/// killed when the harness exits, fails or is cancelled (<see cref="KillAll"/>, also on ProcessExit).
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();

    private readonly Process _process;
    private readonly StreamWriter _log;

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    private ChildProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        Id = process.Id;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }

    public string LogPath { get; }

    /// <summary>The pid, kept so /proc can be read (and fail softly) even after the process was killed and disposed.</summary>
    public int Id { get; }

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true; // disposed (killed by a chaos restart)
            }
        }
    }

    public static ChildProcess Start(string name, string file, IEnumerable<string> args, IEnumerable<KeyValuePair<string, string>> env, string logPath)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }
        info.Environment["NO_COLOR"] = "1";
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        if (!process.Start())
        {
            throw new BenchException($"could not start {file}");
        }
        Live[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(name, process, log, logPath);
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // the process outlived its log (killed at exit)
            }
        }
    }

    /// <summary>SIGKILL (kill -9): no graceful shutdown, exactly what chaos mode wants.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        Live.TryRemove(Id, out _);
    }

    /// <summary>CPU time used so far (user + system), in clock ticks; 0 when the process is gone.</summary>
    public long CpuTicks() => Cpu.ProcessTicks(Id);

    /// <summary>Peak resident set size so far (VmHWM), in bytes; 0 when the process is gone.</summary>
    public long PeakRssBytes() => ReadStatus("VmHWM:");

    /// <summary>Current resident set size (VmRSS), in bytes; 0 when the process is gone.</summary>
    public long RssBytes() => ReadStatus("VmRSS:");

    private long ReadStatus(string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Id}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var kb = line[field.Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // exited
        }
        catch (UnauthorizedAccessException)
        {
            // exited and the pid was reused
        }
        return 0;
    }

    /// <summary>The last lines of the log, for error messages.</summary>
    public string Tail(int lines = 20)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Kill();
        lock (_log)
        {
            _log.Dispose();
        }
        _process.Dispose();
    }

    public static void KillAll()
    {
        foreach (var (id, process) in Live)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // gone
            }
            Live.TryRemove(id, out _);
        }
    }
}

/// <summary>Finds (and builds once) the herald binary, and hands out free loopback ports.</summary>
internal static class HeraldBinary
{
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Herald.slnx")))
            {
                return dir.FullName;
            }
        }
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Herald.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new BenchException("could not find the repository (Herald.slnx) above the harness or the current folder.");
    }

    public static async Task<string> ResolveAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        if (options.HeraldPath is { } given)
        {
            return File.Exists(given) ? Path.GetFullPath(given) : throw new BenchException($"--herald {given}: no such file.");
        }
        var root = RepoRoot();
        var binary = Path.Combine(root, "src", "Herald", "bin", "Release", "net10.0", "herald");
        if (!options.NoBuild)
        {
            AnsiConsole.MarkupLine("[grey]dotnet build -c Release src/Herald ...[/]");
            var (code, output) = await RunToEndAsync("dotnet", ["build", "-c", "Release", Path.Combine(root, "src", "Herald"), "-nologo", "-v", "q", "--tl:off"],
                root, TimeSpan.FromMinutes(15), cancellationToken);
            if (code != 0)
            {
                throw new BenchException($"dotnet build -c Release src/Herald failed (exit {code}); use --no-build to run the last build.\n{output}");
            }
        }
        return File.Exists(binary) ? binary : throw new BenchException($"{binary} does not exist: build src/Herald in Release first.");
    }

    /// <summary>Runs a short command to its end (bounded by <paramref name="limit"/>) and returns its exit code and output.</summary>
    public static async Task<(int Code, string Output)> RunToEndAsync(string file, IEnumerable<string> args, string workingDirectory, TimeSpan limit,
        CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info) ?? throw new BenchException($"could not start {file}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, (await stdout + await stderr).Trim());
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            throw new BenchException($"{file} {string.Join(' ', info.ArgumentList)} did not finish within {limit}.");
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>CPU accounting from /proc (clock ticks), to tell who used the cores during a run.</summary>
internal static class Cpu
{
    /// <summary>The machine's busy and total ticks over all cores (/proc/stat).</summary>
    public static (long Busy, long Total) Machine()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        return (total - fields[3] - fields[4], total); // idle and iowait are not busy
    }

    /// <summary>utime + stime of a process (/proc/PID/stat), 0 when it is gone.</summary>
    public static long ProcessTicks(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
