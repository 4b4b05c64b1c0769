using Herald.Tests.Infrastructure;

namespace Herald.Tests.Cli;

/// <summary>What a new user hit with the CLI: pipes, idempotency replays, a forgotten option.</summary>
public sealed class RoughEdgesCliTests : CliTestBase
{
    [Fact]
    public async Task ProvidersShow_OutputNotATerminal_NoBoxPaddedToTheWidth()
    {
        await CreateProviderAsync();

        var result = await RunAsync("providers", "show", "Kaleyra_SMS");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Settings (secrets masked)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"endpoint\"", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("╭", result.Stdout, StringComparison.Ordinal);
        Assert.All(result.Stdout.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length < 120, $"a {line.Length}-column line:\n{line}"));
    }

    [Fact]
    public async Task Send_SameIdempotencyKeyTwice_SecondSaysNothingNewWasSent()
    {
        await CreateProviderAsync();
        string[] send = ["send", "--to", "+919812340009", "--body", "Your OTP is 123456", "--sender", "KLRHXA", "--field", "type=OTP", "--idempotency-key", "order-42"];

        var first = await RunAsync(send);
        var second = await RunAsync(send);

        Assert.Equal(0, first.ExitCode);
        Assert.StartsWith("Message ", first.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, second.ExitCode);
        var id = first.Stdout.Split(' ')[1];
        Assert.StartsWith($"Idempotency-Key order-42 was already used for message {id} (now ", second.Stdout, StringComparison.Ordinal);
        Assert.Contains("nothing new was sent", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_WithoutTo_OneLineAndExit2()
    {
        var result = await RunAsync("send", "--body", "hi");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("Give the recipient with --to, e.g. --to +919812345678.", result.Output.Trim());
    }

    [Fact]
    public async Task ProvidersTest_MissingRequiredOption_ErrorLineNotTheHelp()
    {
        var result = await RunAsync("providers", "test", "Kaleyra_SMS");

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Stdout);
        var lines = result.Stderr.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("herald providers test: Option '--to' is required", lines[0], StringComparison.Ordinal);
        Assert.Equal("Run 'herald providers test --help' for its options.", lines[1].Trim());
    }

    [Fact]
    public async Task SendHelp_Type_DefaultIsWhatIsStored()
    {
        var help = await HeraldCliRunner.RunAsync(["send", "--help"]);

        Assert.Contains("Default: default.", help.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("(txn)", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_PrintsTheVersionFile()
    {
        var version = (await File.ReadAllTextAsync(Path.Combine(ReadmeTests.RepositoryRoot(), "VERSION"), Ct)).Trim();

        var result = await HeraldCliRunner.RunAsync(["--version"]);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith(version, result.Stdout.Trim(), StringComparison.Ordinal);
    }
}
