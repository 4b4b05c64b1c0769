using Herald.Dashboard.Components;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Herald.Dashboard;

/// <summary>The dashboard's sign-in: a cookie scheme beside the API key scheme, and the policy every page needs.</summary>
internal static class DashboardAuth
{
    /// <summary>The cookie authentication scheme.</summary>
    public const string Scheme = "HeraldDashboard";

    /// <summary>The authorization policy of every dashboard page and dashboard JSON endpoint.</summary>
    public const string Policy = "HeraldDashboard";
}

/// <summary>Registers the dashboard: services, middleware and endpoints (three lines in <c>HeraldServer</c>).</summary>
internal static class DashboardRegistration
{
    public static IServiceCollection AddHeraldDashboard(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DashboardOptions>()
            .Bind(configuration.GetSection(DashboardOptions.Section))
            .Configure(o =>
            {
                if (configuration["HERALD_ADMIN_USER"] is { Length: > 0 } user)
                {
                    o.AdminUser = user;
                }
                if (configuration["HERALD_ADMIN_PASSWORD"] is { Length: > 0 } password)
                {
                    o.AdminPassword = password;
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DashboardOptions>, DashboardOptionsValidator>();

        // A second scheme: the API keeps its Bearer scheme as the default (401 problem details, never a redirect).
        services.AddAuthentication().AddCookie(DashboardAuth.Scheme, o =>
        {
            o.Cookie.Name = "herald_session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/signin";
            o.LogoutPath = "/signout";
            o.AccessDeniedPath = "/signin";
            o.ReturnUrlParameter = "returnUrl";
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = DashboardAccounts.ValidatePrincipalAsync;
            o.Events.OnRedirectToLogin = context =>
            {
                // Scripts polling JSON get a status, not a sign-in page.
                if (context.Request.Path.StartsWithSegments("/dashboard"))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return Task.CompletedTask;
                }
                context.Response.Redirect(context.RedirectUri);
                return Task.CompletedTask;
            };
        });
        services.AddOptions<CookieAuthenticationOptions>(DashboardAuth.Scheme)
            .Configure<IOptions<DashboardOptions>>((cookie, dashboard) => cookie.ExpireTimeSpan = dashboard.Value.SessionLifetime);
        services.AddAuthorizationBuilder().AddPolicy(DashboardAuth.Policy, policy => policy
            .AddAuthenticationSchemes(DashboardAuth.Scheme)
            .RequireAuthenticatedUser());

        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "herald_antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__RequestVerificationToken";
        });
        services.AddRazorComponents();
        services.AddSingleton<DashboardAccounts>();
        services.AddSingleton<ProviderHealthService>();
        return services;
    }

    /// <summary>Middleware: anti-forgery for forms, and security headers on dashboard pages.</summary>
    public static WebApplication UseHeraldDashboard(this WebApplication app)
    {
        app.Use(static (context, next) =>
        {
            var path = context.Request.Path;
            if (!path.StartsWithSegments("/api") && !path.StartsWithSegments("/dlr") && !path.StartsWithSegments("/connect"))
            {
                var headers = context.Response.Headers;
                // Everything the pages load comes from Herald itself: no CDN, no external requests.
                headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
                    + "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "same-origin";
                headers.XFrameOptions = "DENY";
            }
            return next(context);
        });
        app.UseAntiforgery();
        return app;
    }

    /// <summary>The pages (Razor components, static server rendering), the assets and the dashboard's small JSON endpoints.</summary>
    public static WebApplication MapHeraldDashboard(this WebApplication app)
    {
        app.MapDashboardEndpoints();
        app.MapRazorComponents<App>().RequireAuthorization(DashboardAuth.Policy);
        return app;
    }
}
