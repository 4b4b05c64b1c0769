using Herald.Core.Messaging;

namespace Herald.Core.Tests.Messaging;

public class DeliveryStatesTests
{
    public static TheoryData<DeliveryState> EveryState() => new(Enum.GetValues<DeliveryState>());

    [Theory]
    [InlineData(DeliveryState.Queued, "queued")]
    [InlineData(DeliveryState.Dispatching, "dispatching")]
    [InlineData(DeliveryState.Accepted, "accepted")]
    [InlineData(DeliveryState.Sent, "sent")]
    [InlineData(DeliveryState.Delivered, "delivered")]
    [InlineData(DeliveryState.Undelivered, "undelivered")]
    [InlineData(DeliveryState.Failed, "failed")]
    [InlineData(DeliveryState.Expired, "expired")]
    [InlineData(DeliveryState.Rejected, "rejected")]
    public void ToWire_State_LowerCaseName(DeliveryState state, string wire)
    {
        Assert.Equal(wire, state.ToWire());
    }

    [Theory]
    [MemberData(nameof(EveryState))]
    public void TryParse_ToWireOutput_RoundTrips(DeliveryState state)
    {
        Assert.True(DeliveryStates.TryParse(state.ToWire(), out var parsed));
        Assert.Equal(state, parsed);
        Assert.Equal(state, DeliveryStates.Parse(state.ToWire()));
    }

    [Theory]
    [MemberData(nameof(EveryState))]
    public void TryParse_UpperCase_ParsesCaseInsensitively(DeliveryState state)
    {
        Assert.True(DeliveryStates.TryParse(state.ToWire().ToUpperInvariant(), out var parsed));
        Assert.Equal(state, parsed);
    }

    [Fact]
    public void TryParse_MixedCase_Parses()
    {
        Assert.True(DeliveryStates.TryParse("Delivered", out var parsed));
        Assert.Equal(DeliveryState.Delivered, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("deliverd")]
    [InlineData("DELIVRD")]
    [InlineData(" delivered")]
    public void TryParse_Unknown_ReturnsFalse(string? value)
    {
        Assert.False(DeliveryStates.TryParse(value, out _));
    }

    [Fact]
    public void Parse_Unknown_ThrowsFormatExceptionNamingValue()
    {
        var ex = Assert.Throws<FormatException>(() => DeliveryStates.Parse("bogus"));
        Assert.Contains("'bogus'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DeliveryState.Queued, false)]
    [InlineData(DeliveryState.Dispatching, false)]
    [InlineData(DeliveryState.Accepted, false)]
    [InlineData(DeliveryState.Sent, false)]
    [InlineData(DeliveryState.Delivered, true)]
    [InlineData(DeliveryState.Undelivered, true)]
    [InlineData(DeliveryState.Failed, true)]
    [InlineData(DeliveryState.Expired, true)]
    [InlineData(DeliveryState.Rejected, true)]
    public void IsFinal_State_MatchesProtocolTable(DeliveryState state, bool final)
    {
        Assert.Equal(final, state.IsFinal());
    }

    [Fact]
    public void All_Always_NineStatesInLifecycleOrder()
    {
        Assert.Equal(
            ["queued", "dispatching", "accepted", "sent", "delivered", "undelivered", "failed", "expired", "rejected"],
            DeliveryStates.All.Select(s => s.ToWire()));
    }

    [Fact]
    public void ToWire_UndefinedValue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((DeliveryState)99).ToWire());
    }
}
