using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Herald.Core;
using Herald.Hosting;
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
    IOptions<HeraldOptions> herald,
    TimeProvider time,
    ILogger<DashboardAccounts> logger)
{
    /// <summary>The file in the data folder that holds the setup code while setup is open.</summary>
    public const string SetupCodeFile = "setup-code";

    private readonly PasswordHasher<DashboardUserRecord> _hasher = new();

    // Setup from another machine needs this code, printed at start and kept in the data folder: whoever reaches the
    // dashboard first is not necessarily its owner.
    private readonly string _setupCode = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();

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
            var path = Path.Combine(herald.Value.DataDir, SetupCodeFile);
            await File.WriteAllTextAsync(path, _setupCode + Environment.NewLine, cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            LogSetupOpen(logger, _setupCode, path);
            return;
        }
        var (_, error) = await CreateFirstAsync(configured.AdminUser, configured.AdminPassword, cancellationToken);
        if (error is null)
        {
            LogAdminCreated(logger, configured.AdminUser.Trim());
        }
    }

    /// <summary>
    /// Whether <paramref name="context"/> may run the first-run setup without the setup code: only a browser on this
    /// machine, talking to Herald directly (a request forwarded by a proxy on this machine comes from elsewhere).
    /// </summary>
    public static bool IsLocal(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote)
        && !context.Request.Headers.ContainsKey("X-Forwarded-For") && !context.Request.Headers.ContainsKey("Forwarded");

    /// <summary>Whether <paramref name="code"/> is the setup code printed at start (compared in constant time).</summary>
    public bool IsSetupCode(string? code) =>
        code is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(code.Trim().ToLowerInvariant()), Encoding.UTF8.GetBytes(_setupCode));

    /// <summary>Closes the setup: the code file is removed once the first user exists.</summary>
    public void SetupDone()
    {
        File.Delete(Path.Combine(herald.Value.DataDir, SetupCodeFile));
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

    // Failed sign-ins per user name and per client address: each check costs a 100k-iteration PBKDF2, and guessing must stay slow.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    private sealed record Failures(int Count, DateTimeOffset Since, DateTimeOffset? LockedUntil);

    /// <summary>When sign-in is locked for <paramref name="username"/> or <paramref name="address"/>, until when; else null.</summary>
    public DateTimeOffset? LockedUntil(string? username, string? address)
    {
        var now = time.GetUtcNow();
        DateTimeOffset? until = null;
        foreach (var key in ThrottleKeys(username, address))
        {
            if (_failures.TryGetValue(key, out var f) && f.LockedUntil is { } locked && locked > now && (until is null || locked > until))
            {
                until = locked;
            }
        }
        return until;
    }

    private void RecordFailure(string? username, string? address)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        foreach (var key in ThrottleKeys(username, address))
        {
            var max = key.StartsWith("ip:", StringComparison.Ordinal) ? settings.SignInMaxFailuresPerAddress : settings.SignInMaxFailures;
            _failures.AddOrUpdate(key, _ => new Failures(1, now, max <= 1 ? now + settings.SignInLockout : null), (_, f) =>
            {
                var fresh = now - f.Since > settings.SignInLockout ? new Failures(0, now, null) : f;
                var count = fresh.Count + 1;
                return fresh with { Count = count, LockedUntil = count >= max ? now + settings.SignInLockout : fresh.LockedUntil };
            });
        }
        if (_failures.Count > 100_000)
        {
            foreach (var (key, f) in _failures)
            {
                if (now - f.Since > settings.SignInLockout && (f.LockedUntil is null || f.LockedUntil < now))
                {
                    _failures.TryRemove(key, out _);
                }
            }
        }
    }

    private static IEnumerable<string> ThrottleKeys(string? username, string? address)
    {
        if (!string.IsNullOrWhiteSpace(username))
        {
            yield return "user:" + username.Trim().ToLowerInvariant();
        }
        if (!string.IsNullOrEmpty(address))
        {
            yield return "ip:" + address;
        }
    }

    /// <summary>
    /// The user when the name and password match, else null. Failures count per user name and per client address;
    /// while either is locked out, nothing is checked (see <see cref="LockedUntil"/>).
    /// </summary>
    public async Task<DashboardUserRecord?> CheckAsync(string? username, string? password, string? address, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(username) || string.IsNullOrEmpty(password) || LockedUntil(username, address) is not null)
        {
            return null;
        }
        var user = await CheckPasswordAsync(username, password, cancellationToken);
        if (user is null)
        {
            RecordFailure(username, address);
        }
        else
        {
            _failures.TryRemove("user:" + username.Trim().ToLowerInvariant(), out _);
        }
        return user;
    }

    private async Task<DashboardUserRecord?> CheckPasswordAsync(string username, string password, CancellationToken cancellationToken)
    {
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
            [new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, user.Username), new Claim(StampClaim, user.SecurityStamp ?? "")],
            DashboardAuth.Scheme);
        return context.SignInAsync(DashboardAuth.Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
    }

    private const string StampClaim = "herald:stamp";

    /// <summary>Signs out: a new security stamp ends this session and every other one of the user, server-side.</summary>
    public static async Task SignOutAsync(HttpContext context)
    {
        if (context.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } id)
        {
            await context.RequestServices.GetRequiredService<IDashboardUserStore>().RotateSecurityStampAsync(id, Ids.NewToken(), context.RequestAborted);
        }
        await context.SignOutAsync(DashboardAuth.Scheme);
    }

    /// <summary>Rejects a session whose user no longer exists or that was signed out (its stamp is not the user's).</summary>
    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        var stamp = context.Principal?.FindFirstValue(StampClaim) ?? "";
        var store = context.HttpContext.RequestServices.GetRequiredService<IDashboardUserStore>();
        if (id is null || await store.FindByIdAsync(id, context.HttpContext.RequestAborted) is not { } user
            || !string.Equals(user.SecurityStamp ?? "", stamp, StringComparison.Ordinal))
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "No dashboard user yet: open the dashboard's /setup page to create the admin user (from another machine it asks for the setup code {Code}, also in {Path}), or set HERALD_ADMIN_PASSWORD (and HERALD_ADMIN_USER, default admin).")]
    private static partial void LogSetupOpen(ILogger logger, string code, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the dashboard admin user {User} from HERALD_ADMIN_PASSWORD.")]
    private static partial void LogAdminCreated(ILogger logger, string user);
}
