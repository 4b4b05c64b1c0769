using Herald.Shared;
using Herald.Core;
using System.Text.Json;
using Herald.Api.Audit;
using Herald.Api.Cluster;
using Herald.Api.Connect;
using Herald.Api.Journeys;
using Herald.Api.Contacts;
using Herald.Api.Events;
using Herald.Api.DeadLetters;
using Herald.Api.DeliveryReports;
using Herald.Api.Dlt;
using Herald.Api.Health;
using Herald.Api.Inbound;
using Herald.Api.Links;
using Herald.Api.Keys;
using Herald.Api.Messages;
using Herald.Api.Outbox;
using Herald.Api.Campaigns;
using Herald.Dispatch;
using Herald.Engagement;
using Herald.Engagement.Contacts;
using Herald.Api.ProviderGroups;
using Herald.Api.Providers;
using Herald.Api.Reference;
using Herald.Api.Segments;
using Herald.Api.TestSms;
using Herald.Dashboard;
using Herald.Providers;
using Herald.Sandbox;
using Herald.Security;
using Herald.Sending;
using Herald.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Herald.Hosting;

/// <summary>Builds the Herald web application: services, endpoints and start-up work.</summary>
public static class HeraldServer
{
    /// <summary>The listen URL when none is given.</summary>
    public const string DefaultUrls = "http://127.0.0.1:8080";

    /// <summary>
    /// Builds the application. <paramref name="settings"/> are configuration keys (e.g. <c>urls</c>,
    /// <c>Herald:DataDir</c>) that win over appsettings and environment variables. <paramref name="clock"/> replaces the
    /// system clock (tests run the legal windows and frequency caps on a fake one).
    /// </summary>
    public static WebApplication Build(IReadOnlyDictionary<string, string?> settings, Action<ILoggingBuilder>? logging = null, TimeProvider? clock = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        AddSettings(builder.Configuration, settings);
        var options = ResolveOptions(builder.Configuration);
        if (!string.IsNullOrWhiteSpace(options.Metrics.Urls))
        {
            // After the main URLs: the first listen URL stays the public base URL's default.
            builder.Configuration["urls"] = $"{builder.Configuration["urls"]};{options.Metrics.Urls}";
        }
        CreateDataDir(options);

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        // A start that fails (a port in use) is reported by `herald serve` in one line: not also as the host's stack trace.
        var startup = new StartupLogGate();
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level >= LogLevel.Information && (startup.Started || level < LogLevel.Error));
        logging?.Invoke(builder.Logging);

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        ConfigureServices(builder.Services, builder.Configuration, options);
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        var app = builder.Build();
        app.Lifetime.ApplicationStarted.Register(startup.Open);
        ConfigurePipeline(app, options);
        return app;
    }

    /// <summary>
    /// Herald's options as <c>herald serve</c> would read them (appsettings, environment, <paramref name="settings"/>), for commands
    /// that work on the data folder without a server (backup, restore).
    /// </summary>
    public static HeraldOptions ResolveOptions(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationManager();
        configuration.SetBasePath(AppContext.BaseDirectory).AddJsonFile("appsettings.json", optional: true).AddEnvironmentVariables();
        AddSettings(configuration, settings);
        return ResolveOptions(configuration);
    }

    private static void AddSettings(IConfigurationBuilder configuration, IReadOnlyDictionary<string, string?> settings)
    {
        var environment = new Dictionary<string, string?>();
        if (Environment.GetEnvironmentVariable("HERALD_DATA_DIR") is { Length: > 0 } dataDir)
        {
            environment["Herald:DataDir"] = dataDir;
        }
        if (Environment.GetEnvironmentVariable("HERALD_API_KEY") is { Length: > 0 } apiKey)
        {
            environment["Herald:ApiKey"] = apiKey;
        }
        configuration.AddInMemoryCollection(environment);
        configuration.AddInMemoryCollection(settings);
    }

    private static HeraldOptions ResolveOptions(ConfigurationManager configuration)
    {
        if (string.IsNullOrEmpty(configuration["urls"]))
        {
            configuration["urls"] = DefaultUrls;
        }
        var options = configuration.GetSection(HeraldOptions.Section).Get<HeraldOptions>() ?? new HeraldOptions();
        options.DataDir = Path.GetFullPath(options.DataDir);
        if (options.Sandbox.Enabled)
        {
            options.Providers.AllowInsecureLoopback = true;
        }
        if (options.Database.Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(options.Database.ConnectionString))
        {
            options.Database.ConnectionString = $"Data Source={Path.Combine(options.DataDir, "herald.db")}";
        }
        return options;
    }

    /// <summary>Whether the host has started: until then its own start-failure log is left to the caller.</summary>
    private sealed class StartupLogGate
    {
        private volatile bool _started;

        public bool Started => _started;

        public void Open() => _started = true;
    }

    // The data folder holds the database, the key ring and the generated API key: only Herald's user reads it.
    private static void CreateDataDir(HeraldOptions options)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(options.DataDir);
            return;
        }
        if (!Directory.Exists(options.DataDir))
        {
            Directory.CreateDirectory(options.DataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        if (DefaultSqlitePath(options) is { } database && !File.Exists(database))
        {
            // Created empty here so SQLite opens a 0600 file; it gives its -wal and -shm files the same mode.
            using var _ = new FileStream(database, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
    }

    /// <summary>Files of the data folder that only Herald's user may read: made 0600 at every start (older installs too).</summary>
    private static void RestrictDataFiles(HeraldOptions options)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var files = new List<string> { Path.Combine(options.DataDir, "api-key") };
        if (DefaultSqlitePath(options) is { } database)
        {
            files.AddRange([database, database + "-wal", database + "-shm"]);
        }
        var keys = Path.Combine(options.DataDir, "keys");
        if (Directory.Exists(keys))
        {
            files.AddRange(Directory.GetFiles(keys));
        }
        foreach (var file in files.Where(File.Exists))
        {
            try
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            catch (UnauthorizedAccessException)
            {
                // Owned by another user (a shared install): its owner decides; Herald still starts.
            }
        }
    }

    private static string? DefaultSqlitePath(HeraldOptions options) =>
        options.Database.Provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase)
        && options.Database.ConnectionString == $"Data Source={Path.Combine(options.DataDir, "herald.db")}"
            ? Path.Combine(options.DataDir, "herald.db") : null;

    /// <summary>
    /// Creates or migrates the schema, the dashboard's admin user and an admin API key, and removes a sandbox provider
    /// left without its sandbox. Returns a newly generated key, if any, which the caller must show: also when the server
    /// then fails to start (a port in use), since the key is saved for the data folder all the same.
    /// </summary>
    public static async Task<string?> InitializeAsync(WebApplication app, CancellationToken cancellationToken)
    {
        _ = app.Services.GetRequiredService<IOptions<HeraldOptions>>().Value; // fail fast on invalid options
        _ = app.Services.GetRequiredService<DataFolderLock>(); // held until the app is disposed: herald restore waits for no server
        await app.Services.GetRequiredService<IDatabase>().MigrateAsync(cancellationToken);
        await app.Services.GetRequiredService<DashboardAccounts>().EnsureAdminAsync(cancellationToken);
        await SandboxCleanup.RemoveStaleAsync(app.Services, cancellationToken);
        var generated = await app.Services.GetRequiredService<ApiKeyBootstrap>().EnsureAsync(cancellationToken);
        RestrictDataFiles(app.Services.GetRequiredService<IOptions<HeraldOptions>>().Value);
        return generated;
    }

    private static void ConfigureServices(IServiceCollection services, IConfiguration configuration, HeraldOptions options)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => DataFolderLock.Shared(options.DataDir));
        services.AddOptions<HeraldOptions>().Configure(o =>
        {
            o.DataDir = options.DataDir;
            o.PublicBaseUrl = options.PublicBaseUrl;
            o.ApiKey = options.ApiKey;
            o.Database = options.Database;
            o.Providers = options.Providers;
            o.Sandbox = options.Sandbox;
            o.MaxRequestBodyBytes = options.MaxRequestBodyBytes;
            o.MaxBatchBodyBytes = options.MaxBatchBodyBytes;
            o.ShutdownTimeout = options.ShutdownTimeout;
            o.Connector = options.Connector;
            o.TrustedProxies = options.TrustedProxies;
            o.Metrics = options.Metrics;
            o.DefaultCountry = options.DefaultCountry;
            o.MaxSegments = options.MaxSegments;
        }).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HeraldOptions>, HeraldOptionsValidator>();

        services.AddProblemDetails();
        services.Configure<JsonOptions>(o => HeraldJson.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        services.AddHeraldStorage(options.Database);
        services.AddRetention(configuration);
        services.AddHeraldProviders();
        services.AddOptions<Providers.Http.OutboundOptions>()
            .BindConfiguration(Providers.Http.OutboundOptions.Section)
            .PostConfigure(o => o.AllowLoopback |= options.Providers.AllowInsecureLoopback);
        services.AddHeraldDispatch(configuration);
        services.AddHeraldEngagement(configuration);
        services.AddContacts(configuration, Path.Combine(options.DataDir, "imports"));
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(HeraldMetrics.MeterName)
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());
        services.AddProviders();
        services.AddDeadLetters();
        services.AddDataProtection()
            .SetApplicationName("Herald")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(options.DataDir, "keys")));

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddApiPolicies();
        services.AddSingleton<ApiKeyIssuer>();
        services.AddAudit();
        services.AddHeraldDashboard(configuration);
        services.AddHeraldApiReference();

        services.AddSingleton<ShutdownDrain>();
        services.AddSingleton<IDrainState>(sp => sp.GetRequiredService<ShutdownDrain>());
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownDrain>());
        services.AddSingleton<IPublicUrls, PublicUrls>();
        services.AddSingleton<ISecretProtector, SecretProtector>();
        services.AddSingleton<ApiKeyBootstrap>();
        services.AddProviderGroups();
        services.AddTestSms();
        services.AddDeliveryReports(configuration);
        services.AddKaleyraConnector();
        services.AddOptions<Api.PublicLimits.PublicEndpointOptions>().BindConfiguration(Api.PublicLimits.PublicEndpointOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Api.PublicLimits.PublicEndpointOptions>, Api.PublicLimits.PublicEndpointOptionsValidator>();
        services.AddSingleton<Api.PublicLimits.PublicEndpointLimiter>();
        services.Replace(ServiceDescriptor.Singleton<Herald.Core.DeliveryReports.IReportExpectations>(sp => sp.GetRequiredService<Api.PublicLimits.PublicEndpointLimiter>()));
        services.AddHostedService<Api.PublicLimits.ExpectedReportsAtStart>();
        // Short links point at the public base URL (replaces Dispatch's default, which leaves links long).
        services.Replace(ServiceDescriptor.Singleton<Herald.Dispatch.Links.IShortLinkBase, Api.Links.PublicShortLinkBase>());
        if (options.Sandbox.Enabled)
        {
            services.AddSingleton<SandboxService>();
            services.AddHostedService(sp => sp.GetRequiredService<SandboxService>());
        }
    }

    private static void ConfigurePipeline(WebApplication app, HeraldOptions options)
    {
        app.UseTrustedProxies(options);
        app.UseMetricsListener();
        app.UseRouting(); // after the forwarded headers: short-circuited endpoints (/dlr) see the client's address too
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteProblemAsync, StatusCodeSelector = StatusFor });
        app.UseStatusCodePages(WriteStatusProblemAsync);
        app.UseMetricsKey();
        app.UseAuthentication();
        app.UseAuthorization();
        // After authorization: a caller without the right key hears 401/403 before anything about its body.
        app.UseRequestGuards();
        app.UseHeraldDashboard();

        app.MapHealth();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        app.MapDeliveryReports();
        app.MapKaleyraConnector();
        app.MapShortLinks();
        app.MapInbound();
        // Every route under /api/v1 declares its scope (RequireScope); one that does not is refused for every key.
        var api = app.MapGroup("/api/v1").RequireAuthorization(ApiPolicies.Declared);
        api.MapProviders();
        api.MapProviderGroups();
        api.MapTestSms();
        api.MapCluster();
        api.MapKeys();
        api.MapDlrFeed();
        api.MapMessages();
        api.MapSendMessages();
        api.MapDltTemplates();
        api.MapDeadLetters();
        api.MapSegments();
        api.MapOutbox();
        api.MapAudit();
        api.MapContacts();
        api.MapSuppressions();
        api.MapImports();
        api.MapEvents();
        api.MapCampaigns();
        api.MapJourneys();
        api.MapInboundList();
        api.MapLinks();
        app.MapHeraldApiReference();
        app.MapHeraldDashboard();
    }

    private static int StatusFor(Exception exception) => exception switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        _ when IsBadJsonText(exception) => StatusCodes.Status400BadRequest,
        OperationCanceledException => 499,
        _ when DatabaseFaults.IsUnavailable(exception, out _) => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>
    /// A string in a request's JSON that is not valid Unicode: System.Text.Json accepts it while parsing and throws only when the
    /// string is read, deep inside an endpoint, so it is recognised here rather than at every place a body's strings are read.
    /// </summary>
    private static bool IsBadJsonText(Exception exception) =>
        exception is InvalidOperationException json
        && (json.Message.StartsWith("Cannot read incomplete UTF-16 JSON text", StringComparison.Ordinal)
            || json.Message.StartsWith("Cannot transcode invalid UTF-8 JSON text", StringComparison.Ordinal));

    private static async Task WriteProblemAsync(HttpContext context)
    {
        var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (413, "Payload too large", TooLarge(context)),
            BadHttpRequestException bad => (bad.StatusCode, "The request could not be read", Explain(bad)),
            not null when IsBadJsonText(exception) => (400, "The request could not be read",
                "A JSON string in the body is not valid Unicode (a lone surrogate such as \\ud800, or bytes that are not UTF-8): send UTF-8 text."),
            not null when DatabaseFaults.IsUnavailable(exception, out var reason) =>
                (503, "The database is unavailable", $"Nothing was stored: {reason}. Send the request again later."),
            _ => (500, "Internal error", "Herald hit an unexpected error; the log has the details."),
        };
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }
        context.Response.StatusCode = status;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
            Exception = exception,
        });
    }

    // Minimal APIs answer a body over the limit with a bare 413 (no exception reaches the handler above): say which limit.
    private static async Task WriteStatusProblemAsync(StatusCodeContext status)
    {
        var context = status.HttpContext;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        var code = context.Response.StatusCode;
        await problems.TryWriteAsync(code == StatusCodes.Status413PayloadTooLarge
            ? new ProblemDetailsContext { HttpContext = context, ProblemDetails = { Status = code, Title = "Payload too large", Detail = TooLarge(context) } }
            : new ProblemDetailsContext { HttpContext = context, ProblemDetails = { Status = code } });
    }

    private static string TooLarge(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<HeraldOptions>>().Value;
        return SendMessageEndpoints.IsBatch(context.Request)
            ? $"The request body is larger than the {Size(options.MaxBatchBodyBytes)} limit of POST /api/v1/messages/batch (Herald:MaxBatchBodyBytes): split the batch or raise the setting."
            : $"The request body is larger than the {Size(options.MaxRequestBodyBytes)} limit (Herald:MaxRequestBodyBytes).";
    }

    private static string Size(long bytes) => bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB"
        : bytes % 1024 == 0 ? $"{bytes / 1024} KiB" : $"{bytes} byte";

    internal static string Explain(BadHttpRequestException exception) => exception.InnerException switch
    {
        JsonException json => $"The body is not valid JSON for this endpoint{(json.Path is null ? "" : $" (at {json.Path})")}: {json.Message.Split(" Path:")[0]}",
        _ => exception.Message,
    };
}
