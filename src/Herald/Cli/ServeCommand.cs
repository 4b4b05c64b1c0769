using Herald.Shared;
using System.CommandLine;
using Herald.Hosting;
using Herald.Sandbox;
using Herald.Storage;
using Spectre.Console;

namespace Herald.Cli;

/// <summary><c>herald serve</c>: runs the server.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = $"Where to listen, ';'-separated. Default: ASPNETCORE_URLS, else {HeraldServer.DefaultUrls}." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder for the SQLite file, keys and the generated API key. Default: HERALD_DATA_DIR, else ./data in the current directory." };
        var sandbox = new Option<bool>("--sandbox") { Description = "Start an in-process simulator and a ready 'Sandbox' provider configured like the seed (allows plain http to loopback). Default: off." };
        var database = new Option<string?>("--database") { Description = "sqlite or postgres. Default: Herald__Database__Provider, else sqlite." };
        var connectionString = new Option<string?>("--connection-string") { Description = "Database connection string. Default: Herald__Database__ConnectionString, else the SQLite file in the data folder." };
        var publicUrl = new Option<string?>("--public-url") { Description = "Base URL providers use to reach Herald (callback URLs). Default: Herald__PublicBaseUrl, else the first listen URL." };
        var insecure = new Option<bool>("--allow-insecure-loopback") { Description = "Allow plain-http provider endpoints on loopback hosts. Default: Herald__Providers__AllowInsecureLoopback, else off." };

        var command = new Command("serve", "Run the Herald server (API, delivery-report endpoint).")
        {
            urls, dataDir, sandbox, database, connectionString, publicUrl, insecure,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Dictionary<string, string?>();
            void Set(string key, string? value)
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    settings[key] = value;
                }
            }
            Set("urls", parse.GetValue(urls));
            Set("Herald:DataDir", parse.GetValue(dataDir));
            Set("Herald:Database:Provider", parse.GetValue(database));
            Set("Herald:Database:ConnectionString", parse.GetValue(connectionString));
            Set("Herald:PublicBaseUrl", parse.GetValue(publicUrl));
            if (parse.GetValue(sandbox))
            {
                settings["Herald:Sandbox:Enabled"] = "true";
            }
            if (parse.GetValue(insecure))
            {
                settings["Herald:Providers:AllowInsecureLoopback"] = "true";
            }
            return await RunAsync(settings, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(Dictionary<string, string?> settings, CancellationToken cancellationToken)
    {
        WebApplication app;
        string? generatedKey;
        try
        {
            app = HeraldServer.Build(settings);
            // The key is created before the server answers, so that once /readyz says ready the key file exists.
            generatedKey = await HeraldServer.InitializeAsync(app, cancellationToken);
        }
        catch (Exception ex) when (ex is ArgumentException or Microsoft.Extensions.Options.OptionsValidationException or System.Data.Common.DbException or IOException)
        {
            await Console.Error.WriteLineAsync($"herald could not start: {ex.Message}");
            return 2;
        }
        await using (app)
        {
            var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HeraldOptions>>().Value;
            var keyFile = Path.Combine(options.DataDir, Security.ApiKeyBootstrap.FileName);
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                // Kestrel could not bind (typically: another herald already listens there). One line, no stack trace.
                // On standard error and unwrapped, so that it stays one line in a log.
                await Console.Error.WriteLineAsync($"herald could not start: {ex.Message.TrimEnd('.')}. Stop the other server or choose another address with --urls.");
                if (generatedKey is not null)
                {
                    // The key was created for this data folder all the same: it must not be lost unseen.
                    Console.Out.WriteLine($"Admin API key (created now, saved in {keyFile}):");
                    Console.Out.WriteLine(generatedKey);
                }
                return 2;
            }
            var database = app.Services.GetRequiredService<IDatabase>();
            var urls = app.Services.GetRequiredService<IPublicUrls>();
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow("[bold]Dashboard[/]", Markup.Escape(app.Urls.FirstOrDefault() is { } first ? first.TrimEnd('/') + "/" : ""));
            grid.AddRow("[bold]Listening[/]", Markup.Escape(string.Join(", ", app.Urls)));
            grid.AddRow("[bold]Public URL[/]", Markup.Escape(urls.BaseUrl.ToString()));
            grid.AddRow("[bold]Data folder[/]", Markup.Escape(options.DataDir));
            grid.AddRow("[bold]Database[/]", Markup.Escape(database.Description));
            grid.AddRow("[bold]Admin API key[/]", Markup.Escape(
                !string.IsNullOrEmpty(options.ApiKey) ? (File.Exists(keyFile) ? $"HERALD_API_KEY; the generated one: {keyFile}" : "HERALD_API_KEY")
                : File.Exists(keyFile) ? keyFile
                : $"created at an earlier start; {keyFile} was removed (create another on the dashboard at /keys)"));
            if (app.Services.GetService<SandboxService>() is { } sandbox)
            {
                var info = await sandbox.Ready.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
                grid.AddRow("[bold]Sandbox provider[/]", Markup.Escape($"{SandboxService.Nickname} ({info.ProviderId}) -> simulator at {info.SimulatorUrl}"));
            }
            AnsiConsole.Write(new Panel(grid).Header("Herald is running").Border(BoxBorder.Rounded));
            if (generatedKey is not null)
            {
                // On a line of its own so that it can be copied whole; it is not shown again.
                AnsiConsole.MarkupLineInterpolated($"[yellow]Admin API key (shown once, saved in {keyFile}):[/]");
                Console.Out.WriteLine(generatedKey);
            }
            try
            {
                await app.WaitForShutdownAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C
            }
            await app.StopAsync(CancellationToken.None);
        }
        return 0;
    }
}
