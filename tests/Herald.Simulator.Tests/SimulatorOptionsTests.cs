using Microsoft.Extensions.Options;

namespace Herald.Simulator.Tests;

public sealed class SimulatorOptionsTests
{
    [Fact]
    public void Validate_Defaults_DoesNotThrow() => new SimulatorOptions().Validate();

    [Theory]
    [InlineData(nameof(SimulatorOptions.Urls))]
    [InlineData(nameof(SimulatorOptions.ApiKey))]
    [InlineData(nameof(SimulatorOptions.Sid))]
    [InlineData(nameof(SimulatorOptions.DlrDelay))]
    [InlineData(nameof(SimulatorOptions.DeliveryRate))]
    [InlineData(nameof(SimulatorOptions.DlrRetryCount))]
    [InlineData(nameof(SimulatorOptions.DlrRetryBaseDelay))]
    [InlineData(nameof(SimulatorOptions.TimeoutHang))]
    [InlineData(nameof(SimulatorOptions.RequestLogCapacity))]
    [InlineData(nameof(SimulatorOptions.KaleyraRetryIntervalScale))]
    [InlineData(nameof(SimulatorOptions.FailRate))]
    [InlineData(nameof(SimulatorOptions.HttpErrorRate))]
    [InlineData(nameof(SimulatorOptions.Latency))]
    [InlineData(nameof(SimulatorOptions.RateLimit))]
    public void Validate_BadValue_ThrowsNamingOption(string option)
    {
        var options = new SimulatorOptions();
        switch (option)
        {
            case nameof(SimulatorOptions.Urls): options.Urls = "127.0.0.1:9090"; break;
            case nameof(SimulatorOptions.ApiKey): options.ApiKey = " "; break;
            case nameof(SimulatorOptions.Sid): options.Sid = ""; break;
            case nameof(SimulatorOptions.DlrDelay): options.DlrDelay = TimeSpan.FromSeconds(-1); break;
            case nameof(SimulatorOptions.DeliveryRate): options.DeliveryRate = double.NaN; break;
            case nameof(SimulatorOptions.DlrRetryCount): options.DlrRetryCount = -1; break;
            case nameof(SimulatorOptions.DlrRetryBaseDelay): options.DlrRetryBaseDelay = TimeSpan.FromMilliseconds(-5); break;
            case nameof(SimulatorOptions.TimeoutHang): options.TimeoutHang = TimeSpan.FromDays(2); break;
            case nameof(SimulatorOptions.RequestLogCapacity): options.RequestLogCapacity = -1; break;
            case nameof(SimulatorOptions.KaleyraRetryIntervalScale): options.KaleyraRetryIntervalScale = double.PositiveInfinity; break;
            case nameof(SimulatorOptions.FailRate): options.FailRate = 1.5; break;
            case nameof(SimulatorOptions.HttpErrorRate): options.HttpErrorRate = -0.1; break;
            case nameof(SimulatorOptions.Latency): options.Latency = TimeSpan.FromMilliseconds(-1); break;
            case nameof(SimulatorOptions.RateLimit): options.RateLimit = -1; break;
        }

        var ex = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Contains(option, ex.Message, StringComparison.Ordinal);
        Assert.Single(ex.Failures);
    }

    [Fact]
    public void Defaults_FailureInjection_Off()
    {
        var options = new SimulatorOptions();

        Assert.Equal(1.0, options.KaleyraRetryIntervalScale);
        Assert.Equal(0, options.FailRate);
        Assert.Equal(0, options.HttpErrorRate);
        Assert.Equal(TimeSpan.Zero, options.Latency);
        Assert.Equal(0, options.RateLimit);
    }

    [Fact]
    public void Validate_SeveralBadValues_ListsEach()
    {
        var options = new SimulatorOptions { DeliveryRate = -0.1, DlrRetryCount = 1000 };

        var ex = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Equal(2, ex.Failures.Count());
    }

    [Fact]
    public void Validate_SeveralUrls_Accepted() =>
        new SimulatorOptions { Urls = "http://127.0.0.1:0; http://[::1]:0" }.Validate();
}
