namespace Herald.Tests.Cli;

/// <summary><c>herald contacts import|list|show</c> through the real executable.</summary>
public sealed class ContactsCliTests : CliTestBase
{
    [Fact]
    public async Task ContactsImportListShow_CsvWithABadRow_ImportsAndEndsWithTheCounts()
    {
        var csv = Path.Combine(Directory.CreateTempSubdirectory("herald-cli-csv-").FullName, "contacts.csv");
        await File.WriteAllTextAsync(csv, "phone,first_name,city,consent.promotional\n+919812345611,Asha,Pune,yes\n12345,Bad,Row,no\n+919812345612,Ravi,Delhi,no\n", Ct);

        var import = await RunAsync("contacts", "import", csv);

        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("completed: 3 rows, 2 imported, 0 updated, 1 failed", import.Stdout);
        Assert.Contains("row 3:", import.Stdout);
        Assert.Contains("errors.csv", import.Stdout);

        var list = await RunAsync("contacts", "list", "-q", "pune");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("+919812345611", list.Stdout);
        Assert.DoesNotContain("+919812345612", list.Stdout);
        Assert.Contains("granted", list.Stdout);

        var show = await RunAsync("contacts", "show", "+919812345612");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("Ravi", show.Stdout);
        Assert.Contains("Asia/Calcutta", show.Stdout);
        Assert.Contains("withdrawn", show.Stdout);

        var json = await RunAsync("contacts", "import", csv, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(2, json.Json["updated"]!.GetValue<long>());
    }

    [Fact]
    public async Task ContactsImport_CsvWithoutPhoneColumn_ExitsWithTheProblem()
    {
        var csv = Path.Combine(Directory.CreateTempSubdirectory("herald-cli-csv-").FullName, "contacts.csv");
        await File.WriteAllTextAsync(csv, "mobile,name\n+919812345611,Asha\n", Ct);

        var import = await RunAsync("contacts", "import", csv);

        Assert.Equal(1, import.ExitCode);
        Assert.Contains("No column holds the phone number", import.Stderr);
    }
}
