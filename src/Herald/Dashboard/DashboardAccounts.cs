using Herald.Core;
using System.Security.Claims;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Herald.Dashboard;

/// <summary>Dashboard users: first-run setup, password checks (ASP.NET Core Identity's hasher) and the session cookie.</summary>
internal sealed partial class DashboardAccounts(
    IDashboardUserStore users,
    IOptions<DashboardOptions> options,
    TimeProvider time,
    ILogger<DashboardAccounts> logger)
{
    private readonly PasswordHasher<DashboardUserRecord> _hasher = new();

    // Verifying against this when the user does not exist takes as long as a real check: timing does not tell who exists.
    private readonly Lazy<string> _decoy = new(() => new PasswordHasher<DashboardUserRecord>().HashPassword(DecoyUser, Ids.NewToken()));

    private static readonly DashboardUserRecord DecoyUser = new() { Id = "usr_decoy", Username = "decoy", PasswordHash = "", CreatedAt = DateTimeOffset.UnixEpoch };

    /// <summary>Whether the first-run setup is still open (no user exists).</summary>
    public async Task<bool> NeedsSetupAsync(CancellationToken cancellationToken) => await users.CountAsync(cancellationToken) == 0;

    /// <summary>At start: creates the admin from HERALD_ADMIN_USER/HERALD_ADMIN_PASSWORD when no user exists, or says where to create one.</summary>
    public async Task EnsureAdminAsync(CancellationToken cancellationToken)
    {
        if (!await NeedsSetupAsync(cancellationToken))
        {
            return;
        }
        var configured = options.Value;
        if (string.IsNullOrEmpty(configured.AdminPassword))
        {
            LogSetupOpen(logger);
            return;
        }
        var (_, error) = await CreateFirstAsync(configured.AdminUser, configured.AdminPassword, cancellationToken);
        if (error is null)
        {
            LogAdminCreated(logger, configured.AdminUser.Trim());
        }
    }

    /// <summary>Creates the first user; an error for people when the input is unusable or a user already exists.</summary>
    public async Task<(DashboardUserRecord? User, string? Error)> CreateFirstAsync(string? username, string? password, CancellationToken cancellationToken)
    {
        if (CheckUsername(username) is { } userProblem)
        {
            return (null, userProblem);
        }
        if (CheckPassword(password) is { } passwordProblem)
        {
            return (null, passwordProblem);
        }
        var user = new DashboardUserRecord
        {
            Id = Ids.NewId("usr"),
            Username = username!.Trim(),
            PasswordHash = "",
            CreatedAt = time.GetUtcNow(),
        };
        user = user with { PasswordHash = _hasher.HashPassword(user, password!) };
        return await users.InsertFirstAsync(user, cancellationToken)
            ? (user, null)
            : (null, "The dashboard already has a user: sign in instead.");
    }

    /// <summary>The user when the name and password match, else null.</summary>
    public async Task<DashboardUserRecord?> CheckAsync(string? username, string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(username) || string.IsNullOrEmpty(password))
        {
            return null;
        }
        var user = await users.FindByUsernameAsync(username, cancellationToken);
        if (user is null)
        {
            _hasher.VerifyHashedPassword(DecoyUser, _decoy.Value, password);
            return null;
        }
        var result = _hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed)
        {
            return null;
        }
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await users.UpdatePasswordHashAsync(user.Id, _hasher.HashPassword(user, password), cancellationToken);
        }
        await users.RecordSignInAsync(user.Id, time.GetUtcNow(), cancellationToken);
        return user;
    }

    /// <summary>Issues the session cookie.</summary>
    public static Task SignInAsync(HttpContext context, DashboardUserRecord user)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, user.Username)],
            DashboardAuth.Scheme);
        return context.SignInAsync(DashboardAuth.Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
    }

    /// <summary>Rejects a session whose user no longer exists.</summary>
    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        var store = context.HttpContext.RequestServices.GetRequiredService<IDashboardUserStore>();
        if (id is null || await store.FindByIdAsync(id, context.HttpContext.RequestAborted) is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(DashboardAuth.Scheme);
        }
    }

    public static string? CheckUsername(string? username)
    {
        var name = username?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            return "Choose a user name, e.g. admin.";
        }
        if (name.Length > 64)
        {
            return "A user name is at most 64 characters.";
        }
        return name.Any(char.IsControl) ? "A user name cannot contain control characters." : null;
    }

    public static string? CheckPassword(string? password)
    {
        if (string.IsNullOrEmpty(password) || password.Length < 8)
        {
            return "Choose a password of at least 8 characters.";
        }
        return password.Length > 1024 ? "A password is at most 1024 characters." : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No dashboard user yet: open the dashboard's /setup page to create the admin user, or set HERALD_ADMIN_PASSWORD (and HERALD_ADMIN_USER, default admin).")]
    private static partial void LogSetupOpen(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the dashboard admin user {User} from HERALD_ADMIN_PASSWORD.")]
    private static partial void LogAdminCreated(ILogger logger, string user);
}
