using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage.Tests;

/// <summary>Parked reports are found by index (issue 14 §1): marked when their message gets its provider id, never by a scan.</summary>
public abstract partial class StorageComplianceTests
{
    private async Task ParkAsync(string providerId, string providerMessageId)
    {
        await using var batch = await Db.DlrInbox.BeginBatchAsync(Ct);
        await batch.ParkAsync([new PendingReport
        {
            ProviderId = providerId, ProviderMessageId = providerMessageId, Report = """{"event":"delivered"}""", ReceivedAt = Time.GetUtcNow(),
        }], Ct);
        await batch.CommitAsync(Ct);
    }

    private async Task<List<(PendingReport Report, string MessageId)>> MatchedForAsync(string providerId) =>
        [.. (await Db.PendingReports.MatchedAsync(500, Ct)).Where(m => m.Report.ProviderId == providerId)];

    [Fact]
    public async Task PendingReports_ParkedBeforeTheSendAnswer_MatchedOnceTheMessageGetsItsProviderId()
    {
        var provider = $"prv_{Unique()}";
        var message = await InsertMessageAsync(m => m with { ProviderId = provider });
        await ParkAsync(provider, "KL-early");
        await ParkAsync(provider, "KL-someone-else");
        Assert.Empty(await MatchedForAsync(provider));

        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Accepted, "provider-response") with { ProviderMessageId = "KL-early" }, Ct);

        var matched = Assert.Single(await MatchedForAsync(provider));
        Assert.Equal(("KL-early", message.Id), (matched.Report.ProviderMessageId, matched.MessageId));
        await Db.PendingReports.RemoveAsync([matched.Report.Id], Ct);
        Assert.Empty(await MatchedForAsync(provider));
    }

    [Fact]
    public async Task PendingReports_ParkedAfterTheMessageHasItsProviderId_MatchedAtOnce()
    {
        var provider = $"prv_{Unique()}";
        var message = await InsertMessageAsync(m => m with { ProviderId = provider });
        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Accepted, "provider-response") with { ProviderMessageId = "KL-known" }, Ct);

        await ParkAsync(provider, "KL-known");

        Assert.Equal([message.Id], (await MatchedForAsync(provider)).Select(m => m.MessageId));
    }

    [Fact]
    public async Task PendingReports_SameIdAtAnotherProvider_NotMatched()
    {
        var provider = $"prv_{Unique()}";
        var other = $"prv_{Unique()}";
        var message = await InsertMessageAsync(m => m with { ProviderId = provider });
        await ParkAsync(other, "KL-shared");

        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Accepted, "provider-response") with { ProviderMessageId = "KL-shared" }, Ct);

        Assert.Empty(await MatchedForAsync(other));
        await Db.PendingReports.MarkLateMatchesAsync(Time.GetUtcNow().AddMinutes(-5), Ct);
        Assert.Empty(await MatchedForAsync(other));
    }

    [Fact]
    public async Task AuditStore_AppendAndList_NewestFirstFilteredAndPaged()
    {
        var actor = $"key_{Unique()}";
        for (var i = 0; i < 3; i++)
        {
            await Db.Audit.AppendAsync(new AuditRecord
            {
                At = Time.GetUtcNow(), ActorKind = "key", ActorId = actor, ActorName = "ci", Action = i == 2 ? "key.create" : "provider.update",
                TargetId = $"prv_{i}", Summary = $"change {i}", ClientIp = "127.0.0.1",
            }, Ct);
        }

        var all = await Db.Audit.ListAsync(new AuditQuery { Actor = actor }, Ct);
        Assert.Equal(["change 2", "change 1", "change 0"], all.Items.Select(e => e.Summary));
        Assert.Equal(("key", "ci", "127.0.0.1", "prv_2"), (all.Items[0].ActorKind, all.Items[0].ActorName, all.Items[0].ClientIp, all.Items[0].TargetId));
        Assert.Equal(2, (await Db.Audit.ListAsync(new AuditQuery { Actor = actor, Action = "provider.update" }, Ct)).Items.Count);
        Assert.Equal(2, (await Db.Audit.ListAsync(new AuditQuery { Actor = actor, Action = "provider." }, Ct)).Items.Count);
        var first = await Db.Audit.ListAsync(new AuditQuery { Actor = actor, Limit = 2 }, Ct);
        Assert.NotNull(first.Next);
        var rest = await Db.Audit.ListAsync(new AuditQuery { Actor = actor, Limit = 2, Before = long.Parse(first.Next!, System.Globalization.CultureInfo.InvariantCulture) }, Ct);
        Assert.Equal(["change 0"], rest.Items.Select(e => e.Summary));
        Assert.Null(rest.Next);
    }
}
