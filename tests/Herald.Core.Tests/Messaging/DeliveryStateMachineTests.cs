using Herald.Core.Messaging;

namespace Herald.Core.Tests.Messaging;

public class DeliveryStateMachineTests
{
    // The lifecycle as protocols.md §5 states it, written out independently of the code under test.
    private static readonly Dictionary<DeliveryState, int> LifecycleRank = new()
    {
        [DeliveryState.Queued] = 0,
        [DeliveryState.Dispatching] = 1,
        [DeliveryState.Accepted] = 2,
        [DeliveryState.Sent] = 3,
        [DeliveryState.Delivered] = 4,
        [DeliveryState.Undelivered] = 4,
        [DeliveryState.Failed] = 4,
        [DeliveryState.Expired] = 4,
        [DeliveryState.Rejected] = 4,
    };

    private static readonly HashSet<DeliveryState> FinalStates =
        [DeliveryState.Delivered, DeliveryState.Undelivered, DeliveryState.Failed, DeliveryState.Expired, DeliveryState.Rejected];

    public static TheoryData<DeliveryState, DeliveryState> AllPairs()
    {
        var data = new TheoryData<DeliveryState, DeliveryState>();
        foreach (var current in Enum.GetValues<DeliveryState>())
        {
            foreach (var proposed in Enum.GetValues<DeliveryState>())
            {
                data.Add(current, proposed);
            }
        }
        return data;
    }

    [Fact]
    public void AllPairs_EveryState_Covers81Pairs()
    {
        Assert.Equal(9, Enum.GetValues<DeliveryState>().Length);
        Assert.Equal(81, AllPairs().Count);
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Decide_EveryPair_FollowsLifecycleRules(DeliveryState current, DeliveryState proposed)
    {
        var decision = DeliveryStateMachine.Decide(current, proposed);

        if (current == proposed)
        {
            Assert.False(decision.Apply);
            Assert.Equal($"already {current.ToWire()}", decision.Reason);
        }
        else if (FinalStates.Contains(current))
        {
            Assert.False(decision.Apply);
            Assert.Contains("final", decision.Reason, StringComparison.Ordinal);
            Assert.Contains(current.ToWire(), decision.Reason, StringComparison.Ordinal);
        }
        else if (LifecycleRank[proposed] < LifecycleRank[current])
        {
            Assert.False(decision.Apply);
            Assert.Contains("older", decision.Reason, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(decision.Apply);
            Assert.Null(decision.Reason);
            Assert.Equal(StateDecision.Applied, decision);
        }
    }

    [Fact]
    public void Decide_DeliveredBeforeSendResponse_Applies()
    {
        // The DLR overtakes the provider's own 2xx: the message is still dispatching.
        Assert.True(DeliveryStateMachine.Decide(DeliveryState.Dispatching, DeliveryState.Delivered).Apply);
    }

    [Fact]
    public void Decide_AcceptedAfterDelivered_Ignored()
    {
        // ...and the late send response must not drag it back.
        var decision = DeliveryStateMachine.Decide(DeliveryState.Delivered, DeliveryState.Accepted);

        Assert.False(decision.Apply);
        Assert.Equal("delivered is final", decision.Reason);
    }

    [Fact]
    public void Decide_SentAfterAccepted_Applies()
    {
        Assert.True(DeliveryStateMachine.Decide(DeliveryState.Accepted, DeliveryState.Sent).Apply);
    }

    [Fact]
    public void Decide_AcceptedAfterSent_IgnoredAsOlder()
    {
        var decision = DeliveryStateMachine.Decide(DeliveryState.Sent, DeliveryState.Accepted);

        Assert.False(decision.Apply);
        Assert.Equal("accepted is older than sent", decision.Reason);
    }

    [Fact]
    public void Decide_SameReportTwice_IgnoredAsAlready()
    {
        Assert.Equal(StateDecision.Ignored("already sent"), DeliveryStateMachine.Decide(DeliveryState.Sent, DeliveryState.Sent));
    }

    [Fact]
    public void Decide_FinalToOtherFinal_Ignored()
    {
        Assert.False(DeliveryStateMachine.Decide(DeliveryState.Failed, DeliveryState.Delivered).Apply);
        Assert.False(DeliveryStateMachine.Decide(DeliveryState.Delivered, DeliveryState.Failed).Apply);
    }

    [Theory]
    [InlineData(DeliveryState.Queued, true)]
    [InlineData(DeliveryState.Dispatching, true)]
    [InlineData(DeliveryState.Accepted, false)]
    [InlineData(DeliveryState.Sent, false)]
    [InlineData(DeliveryState.Delivered, false)]
    [InlineData(DeliveryState.Undelivered, false)]
    [InlineData(DeliveryState.Failed, false)]
    [InlineData(DeliveryState.Expired, false)]
    [InlineData(DeliveryState.Rejected, false)]
    public void CanRequeue_State_OnlyBeforeProviderAnswered(DeliveryState state, bool expected)
    {
        Assert.Equal(expected, DeliveryStateMachine.CanRequeue(state));
    }
}
