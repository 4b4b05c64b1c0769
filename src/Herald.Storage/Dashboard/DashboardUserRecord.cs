namespace Herald.Storage.Records;

/// <summary>A person who signs in to the dashboard.</summary>
public sealed record DashboardUserRecord
{
    /// <summary>Id, e.g. <c>usr_k3n8...</c>.</summary>
    public required string Id { get; init; }
    /// <summary>The sign-in name as the person wrote it; unique, case-insensitive.</summary>
    public required string Username { get; init; }
    /// <summary>The password hash (ASP.NET Core Identity's format); never the password.</summary>
    public required string PasswordHash { get; init; }
    /// <summary>When the user was made.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>When the user last signed in, if ever.</summary>
    public DateTimeOffset? LastSignInAt { get; init; }
    /// <summary>Sessions carry it; a new one (sign-out) ends every session issued before. Null until the first sign-out.</summary>
    public string? SecurityStamp { get; init; }
}
