namespace Herald.Hosting;

/// <summary>
/// A lock file in the data folder (<c>herald.lock</c>): every <c>herald serve</c> on the folder holds it shared, <c>herald restore</c>
/// exclusively. So a restore refuses while any server uses the database, and a server refuses to start during a restore.
/// (An OS file lock: it goes with the process, even after kill -9.)
/// </summary>
internal sealed class DataFolderLock : IDisposable
{
    public const string FileName = "herald.lock";

    private readonly FileStream _file;

    private DataFolderLock(FileStream file) => _file = file;

    /// <summary>Held by a server for as long as it runs; fails with an <see cref="IOException"/> while a restore runs.</summary>
    public static DataFolderLock Shared(string dataDir)
    {
        try
        {
            return new DataFolderLock(Open(dataDir, FileShare.ReadWrite));
        }
        catch (IOException ex)
        {
            throw new IOException($"a herald restore is replacing the database in {dataDir}: start Herald when it has finished.", ex);
        }
    }

    /// <summary>Taken by a restore; null while a server holds the folder.</summary>
    public static DataFolderLock? TryExclusive(string dataDir)
    {
        try
        {
            return new DataFolderLock(Open(dataDir, FileShare.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    // On Unix .NET takes flock(LOCK_SH) for a shared open and flock(LOCK_EX) for FileShare.None; on Windows the share mode itself.
    private static FileStream Open(string dataDir, FileShare share)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        return new FileStream(Path.Combine(dataDir, FileName), options);
    }

    public void Dispose() => _file.Dispose();
}
