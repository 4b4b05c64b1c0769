using Microsoft.Extensions.Options;

namespace Herald.Dashboard;

/// <summary>
/// The web dashboard (section <c>Herald:Dashboard</c>; env <c>Herald__Dashboard__*</c>). The first admin user can also
/// come from <c>HERALD_ADMIN_USER</c> and <c>HERALD_ADMIN_PASSWORD</c>.
/// </summary>
public sealed class DashboardOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Herald:Dashboard";

    /// <summary>The name of the admin user created at first start when <see cref="AdminPassword"/> is set. Default <c>admin</c> (env <c>HERALD_ADMIN_USER</c>).</summary>
    public string AdminUser { get; set; } = "admin";

    /// <summary>
    /// The admin user's password (env <c>HERALD_ADMIN_PASSWORD</c>, at least 8 characters). Used only while no dashboard user exists;
    /// default none: the first visit to the dashboard asks for a user and password at <c>/setup</c>.
    /// </summary>
    public string? AdminPassword { get; set; }

    /// <summary>How long a sign-in lasts without activity (sliding). Default 8 hours.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Failed sign-ins for one user name before it is locked for <see cref="SignInLockout"/>. Default 5.</summary>
    public int SignInMaxFailures { get; set; } = 5;

    /// <summary>Failed sign-ins from one client address (any user name) before it is locked for <see cref="SignInLockout"/>. Default 20.</summary>
    public int SignInMaxFailuresPerAddress { get; set; } = 20;

    /// <summary>How long a lockout lasts, and the window failures are counted in. Default 15 minutes.</summary>
    public TimeSpan SignInLockout { get; set; } = TimeSpan.FromMinutes(15);
}

internal sealed class DashboardOptionsValidator : IValidateOptions<DashboardOptions>
{
    public ValidateOptionsResult Validate(string? name, DashboardOptions options)
    {
        var failures = new List<string>();
        if (DashboardAccounts.CheckUsername(options.AdminUser) is { } userProblem)
        {
            failures.Add($"HERALD_ADMIN_USER: {userProblem}");
        }
        if (options.AdminPassword is { Length: > 0 } password && DashboardAccounts.CheckPassword(password) is { } passwordProblem)
        {
            failures.Add($"HERALD_ADMIN_PASSWORD: {passwordProblem}");
        }
        if (options.SessionLifetime < TimeSpan.FromMinutes(1) || options.SessionLifetime > TimeSpan.FromDays(30))
        {
            failures.Add("Herald:Dashboard:SessionLifetime must be between 1 minute and 30 days.");
        }
        if (options.SignInMaxFailures is < 1 or > 1000 || options.SignInMaxFailuresPerAddress is < 1 or > 100_000)
        {
            failures.Add("Herald:Dashboard:SignInMaxFailures must be between 1 and 1000, SignInMaxFailuresPerAddress between 1 and 100000.");
        }
        if (options.SignInLockout < TimeSpan.FromSeconds(1) || options.SignInLockout > TimeSpan.FromDays(1))
        {
            failures.Add("Herald:Dashboard:SignInLockout must be between 1 second and 1 day.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
