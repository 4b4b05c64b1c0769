using Herald.Dashboard.Components;
using Microsoft.AspNetCore.Diagnostics;
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
    private const string SessionCookie = "herald_session";

    /// <summary>The page every dashboard 404 shows (Pages/NotFoundPage.razor).</summary>
    private const string NotFoundPath = "/not-found";

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
            o.Cookie.Name = SessionCookie;
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

    /// <summary>Middleware: anti-forgery for forms, security headers on dashboard pages, and 404s as dashboard pages.</summary>
    public static WebApplication UseHeraldDashboard(this WebApplication app)
    {
        // A signed-in person who follows a dead link (an unknown address, or a page whose message or provider does not
        // exist: a page that answers 404 leaves its body to the status code pages) sees a dashboard page, not the API's
        // JSON problem details.
        // The app routed the request before this point, so the re-executed request is given the not-found page's endpoint
        // here, and authorized for it.
        app.UseWhen(IsPageRequest, static branch => branch
            .UseStatusCodePagesWithReExecute(NotFoundPath, queryFormat: null, createScopeForStatusCodePages: true) // a page that answered 404 has used its scope
            .Use(static (context, next) =>
            {
                if (context.GetEndpoint() is null && context.Features.Get<IStatusCodeReExecuteFeature>() is not null)
                {
                    context.SetEndpoint(context.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints
                        .OfType<RouteEndpoint>().FirstOrDefault(e => e.RoutePattern.RawText == NotFoundPath));
                }
                return next(context);
            })
            .UseAuthorization());
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

    /// <summary>A browser asking a signed-in session for a page (not the API, callbacks, assets or the dashboard's JSON).</summary>
    private static bool IsPageRequest(HttpContext context)
    {
        var path = context.Request.Path;
        return context.Request.Cookies.ContainsKey(SessionCookie)
            && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
            && !path.StartsWithSegments("/api") && !path.StartsWithSegments("/dlr") && !path.StartsWithSegments("/connect")
            && !path.StartsWithSegments("/dashboard") && !path.StartsWithSegments("/assets") && !path.StartsWithSegments("/openapi");
    }

    /// <summary>The pages (Razor components, static server rendering), the assets and the dashboard's small JSON endpoints.</summary>
    public static WebApplication MapHeraldDashboard(this WebApplication app)
    {
        app.MapDashboardEndpoints();
        app.MapRazorComponents<App>().RequireAuthorization(DashboardAuth.Policy);
        return app;
    }
}
