using Herald.Storage.Records;

namespace Herald.Storage;

/// <summary>People who sign in to the dashboard.</summary>
public interface IDashboardUserStore
{
    /// <summary>How many users exist.</summary>
    Task<int> CountAsync(CancellationToken cancellationToken);
    /// <summary>Finds a user by name (case-insensitive).</summary>
    Task<DashboardUserRecord?> FindByUsernameAsync(string username, CancellationToken cancellationToken);
    /// <summary>Finds a user by id.</summary>
    Task<DashboardUserRecord?> FindByIdAsync(string id, CancellationToken cancellationToken);
    /// <summary>Adds a user; false when the name is taken (case-insensitive).</summary>
    Task<bool> InsertAsync(DashboardUserRecord user, CancellationToken cancellationToken);
    /// <summary>Adds the first user: false, and nothing stored, when any user already exists (first-run setup).</summary>
    Task<bool> InsertFirstAsync(DashboardUserRecord user, CancellationToken cancellationToken);
    /// <summary>Replaces a user's password hash (a rehash or a password change); false if the user does not exist.</summary>
    Task<bool> UpdatePasswordHashAsync(string id, string passwordHash, CancellationToken cancellationToken);
    /// <summary>Records a sign-in.</summary>
    Task RecordSignInAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);
    /// <summary>Replaces the user's security stamp, which ends every session issued with the old one; false if the user does not exist.</summary>
    Task<bool> RotateSecurityStampAsync(string id, string stamp, CancellationToken cancellationToken);
}
