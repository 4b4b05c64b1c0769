using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;

namespace Herald.Tests.Cli;

/// <summary>Issue 14 §4: herald backup (consistent while Herald writes) and herald restore (refuses a running server and foreign files), with real files.</summary>
public sealed class BackupRestoreTests : IAsyncLifetime
{
    private const string ProviderSecret = "stub-secret-0451";

    private readonly ConcurrentQueue<(string? MessageId, string? Secret)> _received = new();
    private StubProvider _stub = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _stub = await StubProvider.StartAsync(async context =>
    {
        var form = await context.Request.ReadFormAsync();
        var secret = context.Request.Headers["X-Auth-Key"].ToString();
        _received.Enqueue((form["message_id"], secret));
        context.Response.StatusCode = secret == ProviderSecret ? 200 : 401;
        await context.Response.WriteAsJsonAsync(new { id = "stub-" + form["message_id"] });
    });

    public async ValueTask DisposeAsync() => await _stub.DisposeAsync();

    private static string NewFolder(string name) => Directory.CreateTempSubdirectory($"herald-{name}-").FullName;

    private async Task<HeraldInstance> StartWithProviderAsync(string dataDir)
    {
        var herald = await HeraldInstance.StartAsync(dataDir: dataDir);
        await HeraldInstance.ReadObjectAsync(await herald.Api.PostAsJsonAsync("/api/v1/providers", new
        {
            nickname = "Stub",
            kind = "generic",
            settings = new
            {
                endpoint = _stub.Url.ToString(),
                headers = new[] { new { key = "X-Auth-Key", value = ProviderSecret } },
                parameters = new[] { new { key = "to", value = "$$To" }, new { key = "body", value = "$$Body" }, new { key = "message_id", value = "$$MessageID" } },
            },
        }, Ct), HttpStatusCode.Created);
        return herald;
    }

    private static async Task<long> ScalarAsync(string file, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Backup_WhileMessagesAreWritten_IsConsistentAndRestoresIntoAWorkingServer()
    {
        var dataDir = NewFolder("backup-src");
        var backup = Path.Combine(NewFolder("backup-out"), "herald-backup");
        var herald = await StartWithProviderAsync(dataDir);
        long backedUp;
        try
        {
            // Writers keep submitting batches while the backup runs.
            using var stop = new CancellationTokenSource();
            var written = 0;
            var writer = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var batch = Enumerable.Range(0, 20).Select(i => new { to = $"+9198{Random.Shared.Next(10_000_000, 99_999_999)}", body = $"Order {written + i} shipped" });
                    var response = await herald.Api.PostAsJsonAsync("/api/v1/messages/batch", new { messages = batch }, CancellationToken.None);
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                    Interlocked.Add(ref written, 20);
                }
            }, CancellationToken.None);
            await TestHttp.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref written) >= 200 ? (object)true : null), "200 messages written");

            var result = await HeraldCliRunner.RunAsync(["backup", backup, "--data-dir", dataDir], timeout: TimeSpan.FromSeconds(120));

            await TestHttp.EventuallyAsync(() => Task.FromResult(Volatile.Read(ref written) >= 400 ? (object)true : null), "writing to go on after the backup");
            await stop.CancelAsync();
            await writer;
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("Backed up", result.Stdout, StringComparison.Ordinal);

            var file = Path.Combine(backup, "herald.db");
            Assert.Equal(0, await ScalarAsync(file, "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"));
            backedUp = await ScalarAsync(file, "SELECT COUNT(*) FROM messages");
            Assert.True(backedUp >= 200, $"the backup holds {backedUp} messages");
            // One snapshot: no message without the timeline entry written in the same transaction (or implied by its row).
            Assert.Equal(0, await ScalarAsync(file,
                "SELECT COUNT(*) FROM messages m WHERE queued_implied = 0 AND NOT EXISTS (SELECT 1 FROM message_events e WHERE e.message_id = m.id)"));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
            Assert.Equal(
                Directory.GetFiles(Path.Combine(dataDir, "keys")).Select(Path.GetFileName).Order(),
                Directory.GetFiles(Path.Combine(backup, "keys")).Select(Path.GetFileName).Order());
            Assert.True(await ScalarAsync(Path.Combine(dataDir, "herald.db"), "SELECT COUNT(*) FROM messages") > backedUp);
        }
        finally
        {
            await herald.DisposeAsync();
        }

        // Restored into a new data folder on another "machine": the messages are there and the provider's secret still decrypts.
        var restoredDir = NewFolder("restored");
        var restore = await HeraldCliRunner.RunAsync(["restore", backup, "--data-dir", restoredDir]);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        await using var restored = await HeraldInstance.StartAsync(dataDir: restoredDir);
        var count = 0;
        string? cursor = null;
        do
        {
            var page = await HeraldInstance.ReadObjectAsync(await restored.Api.GetAsync($"/api/v1/messages?limit=500{(cursor is null ? "" : "&cursor=" + cursor)}", Ct), HttpStatusCode.OK);
            count += page["items"]!.AsArray().Count;
            cursor = page["next"]?.GetValue<string>();
        }
        while (cursor is not null);
        Assert.Equal(backedUp, count);
        var sent = await HeraldInstance.ReadObjectAsync(await restored.Api.PostAsJsonAsync("/api/v1/messages", new { to = "+919812345670", body = "After the restore" }, Ct), HttpStatusCode.Accepted);
        var id = sent["id"]!.GetValue<string>();
        await TestHttp.EventuallyAsync(() => Task.FromResult(_received.Any(r => r.MessageId == id && r.Secret == ProviderSecret) ? (object)true : null),
            "the restored provider to send with its decrypted secret");
    }

    [Fact]
    public async Task Restore_WhileAServerUsesTheDataFolder_RefusedAndNothingChanged()
    {
        var dataDir = NewFolder("restore-busy");
        var backup = Path.Combine(NewFolder("restore-busy-out"), "b");
        await using var herald = await StartWithProviderAsync(dataDir);
        Assert.Equal(0, (await HeraldCliRunner.RunAsync(["backup", backup, "--data-dir", dataDir])).ExitCode);
        var before = Directory.GetFileSystemEntries(dataDir).Order().ToList();

        var result = await HeraldCliRunner.RunAsync(["restore", backup, "--data-dir", dataDir]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("stop it first", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetFileSystemEntries(dataDir).Order().ToList());
        Assert.Equal(HttpStatusCode.OK, (await herald.Api.GetAsync("/api/v1/providers/Stub", Ct)).StatusCode);
    }

    [Fact]
    public async Task Restore_NotAHeraldDatabaseOrFromANewerHerald_RefusedAndNothingChanged()
    {
        var dataDir = NewFolder("restore-foreign");
        var outDir = NewFolder("restore-foreign-out");
        var backup = Path.Combine(outDir, "b");
        await (await StartWithProviderAsync(dataDir)).DisposeAsync();
        Assert.Equal(0, (await HeraldCliRunner.RunAsync(["backup", backup, "--data-dir", dataDir])).ExitCode);
        var text = Path.Combine(outDir, "notes.db");
        await File.WriteAllTextAsync(text, "hello, not a database", Ct);
        var other = Path.Combine(outDir, "other.db");
        await using (var connection = new SqliteConnection($"Data Source={other};Pooling=False"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('x');";
            await command.ExecuteNonQueryAsync(Ct);
        }
        var newer = Path.Combine(outDir, "newer.db");
        File.Copy(Path.Combine(backup, "herald.db"), newer);
        await using (var connection = new SqliteConnection($"Data Source={newer};Pooling=False"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from the future', 0)";
            await command.ExecuteNonQueryAsync(Ct);
        }
        var database = Path.Combine(dataDir, "herald.db");
        var bytes = await File.ReadAllBytesAsync(database, Ct);

        var notSqlite = await HeraldCliRunner.RunAsync(["restore", text, "--data-dir", dataDir]);
        var notHerald = await HeraldCliRunner.RunAsync(["restore", other, "--data-dir", dataDir]);
        var fromNewer = await HeraldCliRunner.RunAsync(["restore", newer, "--data-dir", dataDir]);

        Assert.NotEqual(0, notSqlite.ExitCode);
        Assert.Contains("not a Herald database", notSqlite.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, notHerald.ExitCode);
        Assert.Contains("not a Herald database", notHerald.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, fromNewer.ExitCode);
        Assert.Contains("newer Herald", fromNewer.Stderr, StringComparison.Ordinal);
        Assert.Contains("9999", fromNewer.Stderr, StringComparison.Ordinal);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(database, Ct));
        Assert.Empty(Directory.GetFileSystemEntries(dataDir, "*before-restore*"));
    }

    [Fact]
    public async Task Restore_OverAnExistingDataFolder_KeepsThePreviousDatabaseAndKeysAside()
    {
        var dataDir = NewFolder("restore-aside");
        var backup = Path.Combine(NewFolder("restore-aside-out"), "b");
        await (await StartWithProviderAsync(dataDir)).DisposeAsync();
        Assert.Equal(0, (await HeraldCliRunner.RunAsync(["backup", backup, "--data-dir", dataDir])).ExitCode);
        // Changes after the backup, which the restore undoes.
        await using (var later = await HeraldInstance.StartAsync(dataDir: dataDir))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await later.Api.DeleteAsync("/api/v1/providers/Stub", Ct)).StatusCode);
        }

        var result = await HeraldCliRunner.RunAsync(["restore", backup, "--data-dir", dataDir]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var aside = Assert.Single(Directory.GetFiles(dataDir, "herald.db.before-restore-*"));
        Assert.Single(Directory.GetDirectories(dataDir, "keys.before-restore-*"));
        Assert.Contains(aside, result.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, await ScalarAsync(aside, "SELECT COUNT(*) FROM providers"));
        await using var restored = await HeraldInstance.StartAsync(dataDir: dataDir);
        Assert.Equal(HttpStatusCode.OK, (await restored.Api.GetAsync("/api/v1/providers/Stub", Ct)).StatusCode);
    }

    [Fact]
    public async Task Backup_OnPostgres_PointsToPgDump()
    {
        var result = await HeraldCliRunner.RunAsync(["backup", Path.Combine(NewFolder("pg"), "b"), "--database", "postgres",
            "--connection-string", "Host=127.0.0.1;Database=herald;Username=herald"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("pg_dump", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("keys", result.Stderr, StringComparison.Ordinal);
    }
}
