using Herald.Engagement;
using Herald.Engagement.Policy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Tests;

public sealed class PolicyOptionsTests
{
    [Fact]
    public void FrequencyCaps_NotConfigured_AreThreePerDayAndOnePerFourHours()
    {
        var options = Resolve([]);

        Assert.Equal([new FrequencyCap(3, TimeSpan.FromHours(24)), new FrequencyCap(1, TimeSpan.FromHours(4))], options.FrequencyCaps);
    }

    [Fact]
    public void FrequencyCaps_Configured_ReplaceTheDefaults()
    {
        var options = Resolve(new() { ["Herald:Policy:FrequencyCaps:0:Count"] = "5", ["Herald:Policy:FrequencyCaps:0:Window"] = "7.00:00:00" });

        Assert.Equal([new FrequencyCap(5, TimeSpan.FromDays(7))], options.FrequencyCaps);
    }

    [Fact]
    public void FrequencyCaps_ZeroCountOrWindow_FailWithTheSettingToFix()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new()
        {
            ["Herald:Policy:FrequencyCaps:0:Count"] = "0",
            ["Herald:Policy:FrequencyCaps:0:Window"] = "00:00:00",
        }));

        Assert.Contains(error.Failures, f => f.StartsWith("Herald:Policy:FrequencyCaps:0:Count must be at least 1", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Herald:Policy:FrequencyCaps:0:Window must be a duration", StringComparison.Ordinal));
    }

    private static PolicyOptions Resolve(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddHeraldEngagement(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<PolicyOptions>>().Value;
    }
}
