using System.CommandLine;
using System.Globalization;
using Herald.Cli.Client;
using Herald.Hosting;
using Herald.Storage.Sql;
using Microsoft.Extensions.Options;

namespace Herald.Cli;

/// <summary>
/// <c>herald backup PATH</c> and <c>herald restore PATH</c>. A backup is a folder: <c>herald.db</c>, a consistent copy made with
/// SQLite's online backup API while Herald runs, and <c>keys/</c>, the Data Protection keys without which the providers' stored
/// secrets cannot be read. PostgreSQL has its own tools (pg_dump).
/// </summary>
internal static class BackupCommand
{
    public const string DatabaseFile = "herald.db";
    public const string KeysFolder = "keys";

    public static Command CreateBackup()
    {
        var path = new Argument<string>("path") { Description = "A new (or empty) folder for the backup: herald.db and keys/ are written into it." };
        var (dataDir, database, connectionString) = StorageOptions();
        var command = new Command("backup", "Copy the SQLite database (consistently, while Herald runs) and the Data Protection keys into a folder.")
        {
            path, dataDir, database, connectionString,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = Resolve(parse.GetValue(dataDir), parse.GetValue(database), parse.GetValue(connectionString));
            if (!IsSqlite(options))
            {
                await Console.Error.WriteLineAsync(PostgresAdvice("backup", options));
                return ExitCodes.Usage;
            }
            var target = Path.GetFullPath(parse.GetRequiredValue(path));
            if (File.Exists(target) || (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()))
            {
                await Console.Error.WriteLineAsync($"herald backup: {target} already exists and is not an empty folder: name a new folder, so no backup is overwritten.");
                return ExitCodes.Usage;
            }
            var source = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(options.Database.ConnectionString).DataSource;
            var before = await SqliteBackup.InspectAsync(source, ct);
            if (!before.IsHerald)
            {
                await Console.Error.WriteLineAsync($"herald backup: {source} is not a Herald database: {before.Problem}. Is --data-dir right?");
                return ExitCodes.Api;
            }
            CreatePrivateFolder(target);
            var partial = Path.Combine(target, DatabaseFile + ".partial");
            await SqliteBackup.BackupAsync(options.Database.ConnectionString!, partial, ct);
            Restrict(partial);
            File.Move(partial, Path.Combine(target, DatabaseFile));
            var keys = CopyKeys(Path.Combine(options.DataDir, KeysFolder), Path.Combine(target, KeysFolder));
            var copy = await SqliteBackup.InspectAsync(Path.Combine(target, DatabaseFile), ct);
            Console.Out.WriteLine($"Backed up {source} to {target}: {copy.Messages.ToString("N0", CultureInfo.InvariantCulture)} messages, schema version {copy.Versions.Max()}, "
                + $"{new FileInfo(Path.Combine(target, DatabaseFile)).Length.ToString("N0", CultureInfo.InvariantCulture)} bytes; {keys} Data Protection key file(s) in {KeysFolder}/.");
            Console.Out.WriteLine("Keep the folder private: the keys decrypt the providers' secrets. Restore with: herald restore " + target);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command CreateRestore()
    {
        var path = new Argument<string>("path") { Description = "A folder made by herald backup (or a herald.db file alone, which leaves the keys as they are)." };
        var (dataDir, database, connectionString) = StorageOptions();
        var command = new Command("restore", "Replace the data folder's SQLite database (and keys) with a backup; Herald must be stopped. The previous files are kept aside.")
        {
            path, dataDir, database, connectionString,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = Resolve(parse.GetValue(dataDir), parse.GetValue(database), parse.GetValue(connectionString));
            if (!IsSqlite(options))
            {
                await Console.Error.WriteLineAsync(PostgresAdvice("restore", options));
                return ExitCodes.Usage;
            }
            var from = Path.GetFullPath(parse.GetRequiredValue(path));
            var (sourceFile, sourceKeys) = Directory.Exists(from)
                ? (Path.Combine(from, DatabaseFile), Path.Combine(from, KeysFolder))
                : (from, null);
            if (!File.Exists(sourceFile))
            {
                await Console.Error.WriteLineAsync($"herald restore: {sourceFile} does not exist: name a folder made by herald backup, or a herald.db file.");
                return ExitCodes.Usage;
            }
            var info = await SqliteBackup.InspectAsync(sourceFile, ct);
            if (!info.IsHerald)
            {
                await Console.Error.WriteLineAsync($"herald restore: {sourceFile} is not a Herald database: {info.Problem}. Nothing was changed.");
                return ExitCodes.Api;
            }
            if (info.Unknown.Count > 0)
            {
                await Console.Error.WriteLineAsync($"herald restore: {sourceFile} was made by a newer Herald (schema steps {string.Join(", ", info.Unknown)} are unknown to this one): "
                    + "restore it with that version or a later one. Nothing was changed.");
                return ExitCodes.Api;
            }
            var target = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(options.Database.ConnectionString).DataSource;
            if (!Directory.Exists(options.DataDir))
            {
                CreatePrivateFolder(options.DataDir);
            }
            using var folderLock = DataFolderLock.TryExclusive(options.DataDir);
            if (folderLock is null)
            {
                await Console.Error.WriteLineAsync($"herald restore: a Herald server is using {options.DataDir}: stop it first (e.g. systemctl stop herald), then restore. Nothing was changed.");
                return ExitCodes.Api;
            }
            var stamp = TimeProvider.System.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            var keptAside = new List<string>();
            // The old file's -wal and -shm go with it: left beside the restored file, SQLite would replay them into it.
            foreach (var file in new[] { target, target + "-wal", target + "-shm" }.Where(File.Exists))
            {
                if (file == target && new FileInfo(file).Length == 0)
                {
                    File.Delete(file);
                    continue;
                }
                var aside = $"{file}.before-restore-{stamp}";
                File.Move(file, aside);
                keptAside.Add(aside);
            }
            var partial = target + ".restoring";
            File.Copy(sourceFile, partial, overwrite: true);
            Restrict(partial);
            File.Move(partial, target);
            var restoredKeys = 0;
            if (sourceKeys is not null && Directory.Exists(sourceKeys))
            {
                var keys = Path.Combine(options.DataDir, KeysFolder);
                if (Directory.Exists(keys))
                {
                    var aside = $"{keys}.before-restore-{stamp}";
                    Directory.Move(keys, aside);
                    keptAside.Add(aside);
                }
                restoredKeys = CopyKeys(sourceKeys, keys);
            }
            Console.Out.WriteLine($"Restored {sourceFile} to {target}: {info.Messages.ToString("N0", CultureInfo.InvariantCulture)} messages, schema version {info.Versions.Max()}"
                + (sourceKeys is null ? "; the Data Protection keys were left as they are (a bare file has none)." : $"; {restoredKeys} Data Protection key file(s)."));
            if (keptAside.Count > 0)
            {
                Console.Out.WriteLine($"The previous files are kept aside: {string.Join(", ", keptAside)}");
            }
            if (info.Versions.Max() < SqliteBackup.KnownVersions.Max())
            {
                Console.Out.WriteLine("The backup has an older schema: the next herald serve brings it up to date.");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static (Option<string?> DataDir, Option<string?> Database, Option<string?> ConnectionString) StorageOptions() => (
        new Option<string?>("--data-dir") { Description = "Herald's data folder. Default: HERALD_DATA_DIR, else ./data in the current directory." },
        new Option<string?>("--database") { Description = "sqlite or postgres. Default: Herald__Database__Provider, else sqlite." },
        new Option<string?>("--connection-string") { Description = "Database connection string. Default: Herald__Database__ConnectionString, else the SQLite file in the data folder." });

    // The same settings herald serve reads (appsettings, environment, flags), so the command finds the same database.
    private static HeraldOptions Resolve(string? dataDir, string? database, string? connectionString)
    {
        var settings = new Dictionary<string, string?>();
        if (!string.IsNullOrWhiteSpace(dataDir))
        {
            settings["Herald:DataDir"] = dataDir;
        }
        if (!string.IsNullOrWhiteSpace(database))
        {
            settings["Herald:Database:Provider"] = database;
        }
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            settings["Herald:Database:ConnectionString"] = connectionString;
        }
        return HeraldServer.ResolveOptions(settings);
    }

    private static bool IsSqlite(HeraldOptions options) => options.Database.Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase);

    private static string PostgresAdvice(string verb, HeraldOptions options) => verb == "backup"
        ? $"herald backup copies SQLite databases; this Herald uses PostgreSQL, whose own tool makes consistent backups while Herald runs:\n"
          + "  pg_dump --format=custom --file=herald.dump \"$DATABASE_URL\"\n"
          + $"and copy the Data Protection keys folder with it: {Path.Combine(options.DataDir, KeysFolder)} (docs/deploy.md, Backup and restore)."
        : "herald restore restores SQLite databases; for PostgreSQL stop every Herald node and use pg_restore:\n"
          + "  pg_restore --clean --if-exists --dbname=\"$DATABASE_URL\" herald.dump\n"
          + "then put the backed-up keys folder back (docs/deploy.md, Backup and restore).";

    private static void CreatePrivateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void Restrict(string file)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static int CopyKeys(string from, string to)
    {
        if (!Directory.Exists(from))
        {
            return 0;
        }
        CreatePrivateFolder(to);
        var count = 0;
        foreach (var file in Directory.GetFiles(from))
        {
            var copy = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, copy, overwrite: true);
            Restrict(copy);
            count++;
        }
        return count;
    }
}
