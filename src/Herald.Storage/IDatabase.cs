namespace Herald.Storage;

/// <summary>The database as a whole: schema and health.</summary>
public interface IDatabase
{
    /// <summary>sqlite or postgres.</summary>
    string Provider { get; }
    /// <summary>Where it is, without secrets, for people.</summary>
    string Description { get; }
    /// <summary>Creates or migrates the schema to the current version.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);
    /// <summary>Whether the database answers.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);
}
