using Dapper;
using Microsoft.Data.Sqlite;

namespace Herald.Tests.Cli;

/// <summary><c>herald segments add|count|list</c> through the real executable.</summary>
public sealed class SegmentsCliTests : CliTestBase
{
    [Fact]
    public async Task Segments_AddFromFileAndInlineThenCount_Work()
    {
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(Herald.DataDir, "herald.db")};Pooling=False"))
        {
            await connection.ExecuteAsync("""
                INSERT INTO contacts (id, phone, country, attributes, created_at, updated_at) VALUES
                    ('ct_1', '+919800000001', 'IN', '{"city":"Pune"}', 0, 0),
                    ('ct_2', '+919800000002', 'IN', '{"city":"Delhi"}', 0, 0),
                    ('ct_3', '+14155550100', 'US', '{"city":"Pune"}', 0, 0)
                """);
        }
        var file = Path.Combine(Herald.DataDir, "rule.json");
        await File.WriteAllTextAsync(file, """{"all": [{"country": "IN"}, {"attribute": "city", "op": "eq", "value": "Pune"}]}""", Ct);

        var bad = await RunAsync("segments", "add", "--name", "Bad", "--rule", """{"attribute":"city","op":"equals","value":"Pune"}""");
        Assert.True(bad.ExitCode == 1, bad.ToString());
        Assert.Contains("$.op", bad.Output);
        Assert.Contains("unknown operator \"equals\"", bad.Output);

        var fromFile = await RunAsync("segments", "add", "--name", "Pune, India", "--rule-file", file, "--json");
        Assert.True(fromFile.ExitCode == 0, fromFile.ToString());
        var id = fromFile.Json["id"]!.GetValue<string>();

        var inline = await RunAsync("segments", "add", "--name", "Pune", "--rule", """{"attribute":"city","op":"eq","value":"Pune"}""");
        Assert.True(inline.ExitCode == 0, inline.ToString());
        Assert.Contains("2 contact(s) now", inline.Stdout);

        var count = await RunAsync("segments", "count", id);
        Assert.True(count.ExitCode == 0, count.ToString());
        Assert.Equal("1", count.Stdout.Trim());

        var list = await RunAsync("segments", "list", "--json");
        Assert.Equal(2, list.Json["items"]!.AsArray().Count);

        var neither = await RunAsync("segments", "add", "--name", "X");
        Assert.True(neither.ExitCode == 2, neither.ToString());
        Assert.Contains("--rule-file", neither.Output);
    }
}
