using Herald.Tests.Infrastructure;

namespace Herald.Tests.Cli;

/// <summary>How the client commands find the server and the key, and how they fail.</summary>
public sealed class CliConnectionTests : CliTestBase
{
    [Fact]
    public async Task ProvidersList_WrongServer_ExitsTwoWithAClearMessage()
    {
        var nowhere = $"http://127.0.0.1:{HeraldProcess.FreePort()}";

        var result = await HeraldCliRunner.RunAsync(["providers", "list", "--server", nowhere, "--api-key", HeraldInstance.ApiKey]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"cannot reach Herald at {nowhere}/", result.Stderr);
        Assert.Contains("Is `herald serve` running?", result.Stderr);
    }

    [Fact]
    public async Task ProvidersList_NotAUrl_ExitsTwo()
    {
        var result = await HeraldCliRunner.RunAsync(["providers", "list", "--server", "herald.local:8080"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is not an http(s) URL", result.Stderr);
    }

    [Fact]
    public async Task ProvidersList_EnvironmentVariables_AreTheDefaults()
    {
        await CreateProviderAsync();

        var result = await HeraldCliRunner.RunAsync(["providers", "list"], new Dictionary<string, string>
        {
            ["HERALD_URL"] = Herald.BaseUrl.ToString(),
            ["HERALD_API_KEY"] = HeraldInstance.ApiKey,
        });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Kaleyra_SMS", result.Stdout);
    }

    [Fact]
    public async Task ProvidersList_KeyFileInTheDataFolder_IsUsed()
    {
        var folder = Directory.CreateTempSubdirectory("herald-cli-cwd-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        await File.WriteAllTextAsync(Path.Combine(folder, "data", "api-key"), HeraldInstance.ApiKey + "\n", Ct);

        var withFile = await HeraldCliRunner.RunAsync(["providers", "list", "--server", Herald.BaseUrl.ToString()], workingDirectory: folder);
        var withoutKey = await HeraldCliRunner.RunAsync(["providers", "list", "--server", Herald.BaseUrl.ToString()]);

        Assert.True(withFile.ExitCode == 0, withFile.ToString());
        Assert.Equal(1, withoutKey.ExitCode);
        Assert.Contains("No API key was given", withoutKey.Stderr);
    }

    [Fact]
    public async Task Keys_MissingSubcommandOrOption_ExitsTwo()
    {
        var noSubcommand = await HeraldCliRunner.RunAsync(["keys"]);
        var noName = await HeraldCliRunner.RunAsync(["keys", "create"]);
        var badType = await HeraldCliRunner.RunAsync(["send", "--to", "+919812345678", "--body", "x", "--type", "urgent"]);

        Assert.Equal(2, noSubcommand.ExitCode);
        Assert.Equal(2, noName.ExitCode);
        Assert.Contains("--name", noName.Output);
        Assert.Equal(2, badType.ExitCode);
        Assert.Contains("urgent", badType.Output);
    }

    [Fact]
    public async Task Help_ListsTheClientCommands()
    {
        var result = await HeraldCliRunner.RunAsync(["--help"]);

        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "serve", "simulate", "send", "providers", "messages", "dlr", "keys" })
        {
            Assert.Contains(command, result.Stdout);
        }
    }
}
