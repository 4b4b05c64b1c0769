using Herald.Storage.Tests.Infrastructure;
using System.Data.Common;
using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage.Tests;

public abstract partial class StorageComplianceTests
{
    [Fact]
    public async Task MessagesInsertAsync_EveryFieldSet_GetReturnsTheSameRecord()
    {
        var message = NewMessage() with
        {
            ProviderId = $"prv_{Unique()}",
            ProviderNickname = "Kaleyra Main",
            To = "+14155550100",
            Body = "नमस्ते 👋 Grüße — \"quoted\" 'single' \\ back\nnew line\t€ 🇮🇳 %s {0} $$MessageID",
            TemplateId = "1107161234567890123",
            TemplateVariables = """["Asha","123456"]""",
            CampaignId = $"cmp_{Unique()}",
            Sender = "KLRHXA",
            Type = "txn",
            Source = "connector",
            DynamicFields = """{"sender":"KLRHXA","name":"Zoë"}""",
            Status = DeliveryState.Accepted,
            ProviderMessageId = "KL-7f3a9c",
            Attempts = 3,
            CreatedAt = new DateTimeOffset(2025, 3, 4, 5, 6, 7, 891, TimeSpan.Zero),
            UpdatedAt = new DateTimeOffset(2025, 3, 4, 10, 36, 8, 2, TimeSpan.FromHours(5.5)),
        };

        await Db.Messages.InsertAsync(message, QueuedEvent(message), Ct);

        var stored = await Db.Messages.GetAsync(message.Id, Ct);
        Assert.Equal(message, stored);
        Assert.Equal(891, stored!.CreatedAt.Millisecond);
        Assert.Equal(message.UpdatedAt.UtcDateTime, stored.UpdatedAt.UtcDateTime);
    }

    [Fact]
    public async Task MessagesInsertAsync_OptionalFieldsNull_GetReturnsNulls()
    {
        var message = NewMessage() with
        {
            ProviderId = null,
            ProviderNickname = null,
            Body = null,
            TemplateId = null,
            TemplateVariables = null,
            CampaignId = null,
            Sender = null,
            DynamicFields = null,
            ProviderMessageId = null,
            Attempts = 0,
        };

        await Db.Messages.InsertAsync(message, QueuedEvent(message), Ct);

        Assert.Equal(message, await Db.Messages.GetAsync(message.Id, Ct));
    }

    [Fact]
    public async Task MessagesInsertAsync_EmptyBody_StaysEmptyNotNull()
    {
        var message = await InsertMessageAsync(m => m with { Body = "" });

        Assert.Equal("", (await Db.Messages.GetAsync(message.Id, Ct))?.Body);
    }

    [Fact]
    public async Task MessagesInsertAsync_FirstEvent_IsTheWholeTimeline()
    {
        var message = NewMessage();
        var first = QueuedEvent(message) with { Note = "accepted from API key k_1", At = new DateTimeOffset(2025, 5, 6, 7, 8, 9, 10, TimeSpan.Zero) };

        await Db.Messages.InsertAsync(message, first, Ct);

        var stored = Assert.Single(await Db.Messages.GetEventsAsync(message.Id, Ct));
        Assert.True(stored.Id > 0);
        Assert.Equal(first with { Id = stored.Id }, stored);
    }

    [Fact]
    public async Task MessagesInsertAsync_SameIdTwice_ThrowsAndKeepsTheFirst()
    {
        var message = await InsertMessageAsync();
        var copy = message with { Body = "second" };

        await Assert.ThrowsAnyAsync<DbException>(() => Db.Messages.InsertAsync(copy, QueuedEvent(copy) with { Event = "second" }, Ct));

        Assert.Equal(message, await Db.Messages.GetAsync(message.Id, Ct));
        Assert.Equal(["queued"], (await Db.Messages.GetEventsAsync(message.Id, Ct)).Select(e => e.Event));
    }

    [Fact]
    public async Task MessagesGetAsync_Unknown_ReturnsNullAndNoEvents()
    {
        Assert.Null(await Db.Messages.GetAsync("no-such-message", Ct));
        Assert.Empty(await Db.Messages.GetEventsAsync("no-such-message", Ct));
    }

    [Fact]
    public async Task GetEventsAsync_SeveralChanges_OldestFirstWithTheirTimes()
    {
        var message = await InsertMessageAsync();
        var other = await InsertMessageAsync();
        var times = new List<DateTimeOffset>();
        foreach (var state in new[] { DeliveryState.Dispatching, DeliveryState.Accepted, DeliveryState.Sent, DeliveryState.Delivered })
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            times.Add(Time.GetUtcNow());
            await Db.Messages.TransitionAsync(message.Id, Change(state), Ct);
            await Db.Messages.TransitionAsync(other.Id, Change(DeliveryState.Failed), Ct);
        }

        var events = await Db.Messages.GetEventsAsync(message.Id, Ct);

        Assert.Equal(["queued", "dispatching", "accepted", "sent", "delivered"], events.Select(e => e.Event));
        Assert.Equal([message.CreatedAt, .. times], events.Select(e => e.At));
        Assert.All(events, e => Assert.Equal(message.Id, e.MessageId));
        Assert.Equal(events.Select(e => e.Id).Order(), events.Select(e => e.Id));
    }

    // ---------------------------------------------------------------- transitions

    [Fact]
    public async Task TransitionAsync_AllowedChange_MovesStateAndRecordsAppliedEvent()
    {
        var message = await InsertMessageAsync();
        Time.Advance(TimeSpan.FromSeconds(2));
        var change = new StateChange
        {
            Proposed = DeliveryState.Accepted,
            Source = "provider-response",
            Event = "accepted",
            Detail = """{"status":200,"body":"{\"id\":\"KL-1\"}"}""",
            Note = "HTTP 200",
        };

        var result = await Db.Messages.TransitionAsync(message.Id, change, Ct);

        Assert.Equal(new TransitionResult(true, true, DeliveryState.Accepted, null), result);
        var stored = await Db.Messages.GetAsync(message.Id, Ct);
        Assert.Equal(DeliveryState.Accepted, stored?.Status);
        Assert.Equal(Time.GetUtcNow(), stored?.UpdatedAt);
        Assert.Equal(message.CreatedAt, stored?.CreatedAt);
        var last = (await Db.Messages.GetEventsAsync(message.Id, Ct))[^1];
        Assert.Equal(new MessageEventRecord
        {
            Id = last.Id,
            MessageId = message.Id,
            At = Time.GetUtcNow(),
            Source = "provider-response",
            Event = "accepted",
            State = DeliveryState.Accepted,
            Applied = true,
            Note = "HTTP 200",
            Detail = change.Detail,
        }, last);
    }

    [Fact]
    public async Task TransitionAsync_FinalToAnything_IgnoredWithNote()
    {
        var message = await InsertMessageAsync();
        Assert.True((await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Delivered), Ct)).Applied);

        foreach (var proposed in DeliveryStates.All.Where(s => s != DeliveryState.Delivered))
        {
            var result = await Db.Messages.TransitionAsync(message.Id, Change(proposed) with { Note = "late report" }, Ct);

            Assert.True(result.Found);
            Assert.False(result.Applied);
            Assert.Equal(DeliveryState.Delivered, result.State);
            Assert.Equal("delivered is final", result.Note);
            var last = (await Db.Messages.GetEventsAsync(message.Id, Ct))[^1];
            Assert.Equal(proposed, last.State);
            Assert.False(last.Applied);
            Assert.Equal("late report; delivered is final", last.Note);
        }

        Assert.Equal(DeliveryState.Delivered, (await Db.Messages.GetAsync(message.Id, Ct))?.Status);
        Assert.Equal(DeliveryStates.All.Count + 1, (await Db.Messages.GetEventsAsync(message.Id, Ct)).Count);
    }

    [Fact]
    public async Task TransitionAsync_OlderState_IgnoredWithNoteAndKeptInHistory()
    {
        var message = await InsertMessageAsync();
        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Sent), Ct);

        var result = await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Accepted, "provider-response"), Ct);

        Assert.Equal(new TransitionResult(true, false, DeliveryState.Sent, "accepted is older than sent"), result);
        var last = (await Db.Messages.GetEventsAsync(message.Id, Ct))[^1];
        Assert.Equal(("provider-response", DeliveryState.Accepted, false, "accepted is older than sent"), (last.Source, last.State, last.Applied, last.Note));
    }

    [Fact]
    public async Task TransitionAsync_SameStateTwice_SecondIgnored()
    {
        var message = await InsertMessageAsync();
        Assert.True((await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Sent), Ct)).Applied);

        var result = await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Sent), Ct);

        Assert.Equal(new TransitionResult(true, false, DeliveryState.Sent, "already sent"), result);
        Assert.Equal([true, true, false], (await Db.Messages.GetEventsAsync(message.Id, Ct)).Select(e => e.Applied));
    }

    [Fact]
    public async Task TransitionAsync_ReportOvertakesSendResponse_ReportWinsAndResponseRecordsProviderId()
    {
        var message = await InsertMessageAsync();
        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Dispatching, "dispatch"), Ct);
        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Delivered), Ct);

        var result = await Db.Messages.TransitionAsync(message.Id,
            Change(DeliveryState.Accepted, "provider-response") with { ProviderMessageId = "KL-late", CountsAttempt = true }, Ct);

        Assert.False(result.Applied);
        var stored = await Db.Messages.GetAsync(message.Id, Ct);
        Assert.Equal((DeliveryState.Delivered, "KL-late", 1), (stored?.Status, stored?.ProviderMessageId, stored?.Attempts));
    }

    [Fact]
    public async Task TransitionAsync_TimelineOnlyEvent_RecordsEventWithNullStateAndKeepsState()
    {
        var message = await InsertMessageAsync();
        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Delivered), Ct);

        var result = await Db.Messages.TransitionAsync(message.Id, new StateChange
        {
            Proposed = null,
            Source = "dlr",
            Event = "clicked",
            Detail = """{"url":"https://ex.am/ple"}""",
            Note = "link clicked",
        }, Ct);

        Assert.True(result.Found);
        Assert.False(result.Applied);
        Assert.Equal(DeliveryState.Delivered, result.State);
        var last = (await Db.Messages.GetEventsAsync(message.Id, Ct))[^1];
        Assert.Equal(("clicked", (DeliveryState?)null, false, "link clicked", """{"url":"https://ex.am/ple"}"""),
            (last.Event, last.State, last.Applied, last.Note, last.Detail));
        Assert.Equal(DeliveryState.Delivered, (await Db.Messages.GetAsync(message.Id, Ct))?.Status);
    }

    [Fact]
    public async Task TransitionAsync_TimelineOnlyEventWithoutNote_HasNoNote()
    {
        var message = await InsertMessageAsync();

        await Db.Messages.TransitionAsync(message.Id, Change(null, "dispatch", "rate-limited"), Ct);

        var last = (await Db.Messages.GetEventsAsync(message.Id, Ct))[^1];
        Assert.Equal(("rate-limited", (DeliveryState?)null, (string?)null), (last.Event, last.State, last.Note));
        Assert.Equal(DeliveryState.Queued, (await Db.Messages.GetAsync(message.Id, Ct))?.Status);
    }

    [Fact]
    public async Task TransitionAsync_ProviderMessageIdTwice_KeepsTheFirst()
    {
        var message = await InsertMessageAsync();

        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Accepted) with { ProviderMessageId = "first-id" }, Ct);
        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Sent) with { ProviderMessageId = "second-id" }, Ct);
        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Delivered), Ct);

        Assert.Equal("first-id", (await Db.Messages.GetAsync(message.Id, Ct))?.ProviderMessageId);
    }

    [Fact]
    public async Task DlrBatchTransitionAsync_OneMessageSeveralTimesInOneCommit_AppliedInOrderLikeOneByOne()
    {
        // Kaleyra's Sent and final callbacks for one recipient often land in one group commit: the writes are set-based, so
        // the same message twice in a batch must still apply in order (provider id kept from the first, attempts summed).
        var message = await InsertMessageAsync();
        var other = await InsertMessageAsync();

        IReadOnlyList<TransitionResult> results;
        await using (var batch = await Db.DlrInbox.BeginBatchAsync(Ct))
        {
            results = await batch.TransitionAsync(
            [
                (message.Id, Change(DeliveryState.Accepted, "provider-response") with { ProviderMessageId = "first-id", CountsAttempt = true }),
                (other.Id, Change(DeliveryState.Sent)),
                (message.Id, Change(DeliveryState.Sent) with { ProviderMessageId = "second-id", CountsAttempt = true }),
                (message.Id, Change(DeliveryState.Delivered)),
                (message.Id, Change(DeliveryState.Sent)),
            ], Ct);
            await batch.CommitAsync(Ct);
        }

        Assert.Equal([true, true, true, true, false], results.Select(r => r.Applied));
        var stored = await Db.Messages.GetAsync(message.Id, Ct);
        Assert.Equal((DeliveryState.Delivered, "first-id", 2), (stored?.Status, stored?.ProviderMessageId, stored?.Attempts));
        Assert.Equal(DeliveryState.Sent, (await Db.Messages.GetAsync(other.Id, Ct))?.Status);
        var events = await Db.Messages.GetEventsAsync(message.Id, Ct);
        Assert.Equal(["queued", "accepted", "sent", "delivered", "sent"], events.Select(e => e.Event));
        Assert.Equal([true, true, true, true, false], events.Select(e => e.Applied));
    }

    [Fact]
    public async Task TransitionAsync_CountsAttempt_IncrementsAttemptsOnlyWhenAsked()
    {
        var message = await InsertMessageAsync();

        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Dispatching, "dispatch") with { CountsAttempt = true }, Ct);
        await Db.Messages.TransitionAsync(message.Id, Change(null, "dispatch", "transient-failure") with { CountsAttempt = false }, Ct);
        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Queued, "dispatch", "requeued"), Ct);
        await Db.Messages.TransitionAsync(message.Id, Change(null, "dispatch", "retry") with { CountsAttempt = true }, Ct);
        await Db.Messages.TransitionAsync(message.Id, Change(DeliveryState.Accepted, "provider-response") with { CountsAttempt = true }, Ct);

        Assert.Equal(3, (await Db.Messages.GetAsync(message.Id, Ct))?.Attempts);
    }

    [Fact]
    public async Task TransitionAsync_UnknownMessage_ReturnsNotFoundAndRecordsNothing()
    {
        var id = $"missing-{Unique()}";

        var result = await Db.Messages.TransitionAsync(id, Change(DeliveryState.Delivered) with { ProviderMessageId = "x" }, Ct);

        Assert.Equal(TransitionResult.NotFound, result);
        Assert.Empty(await Db.Messages.GetEventsAsync(id, Ct));
        Assert.Null(await Db.Messages.GetAsync(id, Ct));
    }

    [Fact]
    public async Task TransitionAsync_EightConcurrentFinalReports_ExactlyOneApplies()
    {
        DeliveryState[] finals = [DeliveryState.Delivered, DeliveryState.Undelivered, DeliveryState.Failed, DeliveryState.Expired, DeliveryState.Rejected];
        for (var round = 0; round < 5; round++)
        {
            var message = await InsertMessageAsync(m => m with { Status = DeliveryState.Accepted });
            using var start = new ManualResetEventSlim();
            var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                start.Wait(Ct);
                return await Db.Messages.TransitionAsync(message.Id,
                    Change(finals[(i + round) % finals.Length]) with { Note = $"report {i}", CountsAttempt = true }, Ct);
            }, Ct)).ToList();
            start.Set();
            var results = await Task.WhenAll(tasks);

            var applied = Assert.Single(results, r => r.Applied);
            var stored = await Db.Messages.GetAsync(message.Id, Ct);
            Assert.Equal(applied.State, stored?.Status);
            Assert.True(stored!.Status.IsFinal());
            Assert.Equal(8, stored.Attempts);
            Assert.All(results.Where(r => !r.Applied), r => Assert.Equal(stored.Status, r.State));
            var events = (await Db.Messages.GetEventsAsync(message.Id, Ct)).Skip(1).ToList();
            Assert.Equal(8, events.Count);
            Assert.Equal(stored.Status, Assert.Single(events, e => e.Applied).State);
            // Every other report saw the final state (or the same one) and says so.
            Assert.All(events.Where(e => !e.Applied), e => Assert.Matches(
                $"^{e.Note![..e.Note!.IndexOf(';', StringComparison.Ordinal)]}; ({stored.Status.ToWire()} is final|already {stored.Status.ToWire()})$", e.Note));
        }
    }

    [Fact]
    public async Task TransitionAsync_EightConcurrentAttempts_NoneLost()
    {
        var message = await InsertMessageAsync();
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            start.Wait(Ct);
            return await Db.Messages.TransitionAsync(message.Id,
                Change(null, "dispatch", $"attempt-{i}") with { CountsAttempt = true, ProviderMessageId = $"pm-{i}" }, Ct);
        }, Ct)).ToList();
        start.Set();
        await Task.WhenAll(tasks);

        var stored = await Db.Messages.GetAsync(message.Id, Ct);
        Assert.Equal(8, stored?.Attempts);
        Assert.StartsWith("pm-", stored?.ProviderMessageId, StringComparison.Ordinal);
        Assert.Equal(9, (await Db.Messages.GetEventsAsync(message.Id, Ct)).Count);
    }

    // ---------------------------------------------------------------- correlation

    [Fact]
    public async Task FindByProviderMessageIdAsync_KnownPair_ReturnsHeraldId()
    {
        var providerA = $"prv_{Unique()}";
        var providerB = $"prv_{Unique()}";
        var a = await InsertMessageAsync(m => m with { ProviderId = providerA });
        var b = await InsertMessageAsync(m => m with { ProviderId = providerB });
        await Db.Messages.TransitionAsync(a.Id, Change(DeliveryState.Accepted) with { ProviderMessageId = "same-pmid" }, Ct);
        await Db.Messages.TransitionAsync(b.Id, Change(DeliveryState.Accepted) with { ProviderMessageId = "same-pmid" }, Ct);

        Assert.Equal(a.Id, await Db.DlrInbox.FindByProviderMessageIdAsync(providerA, "same-pmid", Ct));
        Assert.Equal(b.Id, await Db.DlrInbox.FindByProviderMessageIdAsync(providerB, "same-pmid", Ct));
    }

    [Fact]
    public async Task FindByProviderMessageIdAsync_UnknownIdOrProvider_ReturnsNull()
    {
        var provider = $"prv_{Unique()}";
        var message = await InsertMessageAsync(m => m with { ProviderId = provider, ProviderMessageId = "pm-inserted" });

        Assert.Equal(message.Id, await Db.DlrInbox.FindByProviderMessageIdAsync(provider, "pm-inserted", Ct));
        Assert.Null(await Db.DlrInbox.FindByProviderMessageIdAsync(provider, "PM-INSERTED", Ct));
        Assert.Null(await Db.DlrInbox.FindByProviderMessageIdAsync(provider, "pm-unknown", Ct));
        Assert.Null(await Db.DlrInbox.FindByProviderMessageIdAsync($"prv_{Unique()}", "pm-inserted", Ct));
    }

    // ---------------------------------------------------------------- listing

    [Fact]
    public async Task MessagesListAsync_EachFilter_ReturnsOnlyMatchingNewestFirst()
    {
        var campaign = $"cmp_{Unique()}";
        var provider = $"prv_{Unique()}";
        var to = $"+9198{Random.Shared.Next(10_000_000, 99_999_999)}";
        var m1 = await InsertMessageAsync(m => m with { CampaignId = campaign, ProviderId = provider, Type = "mkt" });
        var m2 = await InsertMessageAsync(m => m with { CampaignId = campaign, To = to, Type = "mkt" });
        var m3 = await InsertMessageAsync(m => m with { CampaignId = campaign, ProviderId = provider, To = to, Type = "txn" });
        var m4 = await InsertMessageAsync(m => m with { ProviderId = provider, Type = "otp" });
        await Db.Messages.TransitionAsync(m2.Id, Change(DeliveryState.Delivered), Ct);
        await Db.Messages.TransitionAsync(m3.Id, Change(DeliveryState.Delivered), Ct);

        async Task<string[]> Ids(MessageQuery query) => [.. (await Db.Messages.ListAsync(query, Ct)).Items.Select(m => m.Id)];

        Assert.Equal([m3.Id, m2.Id, m1.Id], await Ids(new MessageQuery { CampaignId = campaign }));
        Assert.Equal([m4.Id, m3.Id, m1.Id], await Ids(new MessageQuery { ProviderId = provider }));
        Assert.Equal([m3.Id, m2.Id], await Ids(new MessageQuery { To = to }));
        Assert.Equal([m3.Id, m2.Id], await Ids(new MessageQuery { CampaignId = campaign, Status = DeliveryState.Delivered }));
        Assert.Equal([m1.Id], await Ids(new MessageQuery { CampaignId = campaign, Status = DeliveryState.Queued }));
        Assert.Equal([m2.Id, m1.Id], await Ids(new MessageQuery { CampaignId = campaign, Type = "mkt" }));
        Assert.Equal([m4.Id], await Ids(new MessageQuery { ProviderId = provider, Type = "otp" }));
        Assert.Equal([m3.Id], await Ids(new MessageQuery { CampaignId = campaign, ProviderId = provider, To = to, Type = "txn", Status = DeliveryState.Delivered }));
        Assert.Empty(await Ids(new MessageQuery { CampaignId = campaign, Status = DeliveryState.Failed }));
        Assert.Contains(m4.Id, await Ids(new MessageQuery { Status = DeliveryState.Queued, Limit = 500 }));
    }

    [Fact]
    public async Task MessagesListAsync_FilteredPage_ReturnsFullRecords()
    {
        var campaign = $"cmp_{Unique()}";
        var message = await InsertMessageAsync(m => m with { CampaignId = campaign, Sender = "HERALD", DynamicFields = """{"a":1}""" });

        var page = await Db.Messages.ListAsync(new MessageQuery { CampaignId = campaign }, Ct);

        Assert.Equal([message], page.Items);
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task MessagesListAsync_CursorPaging_WalksThreePagesWithoutDuplicatesOrGaps()
    {
        var campaign = $"cmp_{Unique()}";
        var inserted = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            inserted.Add((await InsertMessageAsync(m => m with { CampaignId = campaign })).Id);
        }
        // Another campaign's messages interleaved in time must not disturb the pages.
        await InsertMessageAsync(m => m with { CampaignId = $"cmp_{Unique()}" });

        var pages = new List<Page<MessageRecord>>();
        string? cursor = null;
        do
        {
            var page = await Db.Messages.ListAsync(new MessageQuery { CampaignId = campaign, Limit = 10, After = cursor }, Ct);
            pages.Add(page);
            cursor = page.Next;
        }
        while (cursor is not null && pages.Count < 10);

        Assert.Equal([10, 10, 5], pages.Select(p => p.Items.Count));
        Assert.Null(pages[^1].Next);
        var walked = pages.SelectMany(p => p.Items.Select(m => m.Id)).ToList();
        Assert.Equal(walked.Count, walked.Distinct().Count());
        Assert.Equal(Enumerable.Reverse(inserted), walked);
        Assert.Equal(pages[0].Items[^1].Id, pages[0].Next);
    }

    [Fact]
    public async Task MessagesListAsync_ExactMultipleOfLimit_LastFullPageHasNoNext()
    {
        var campaign = $"cmp_{Unique()}";
        for (var i = 0; i < 6; i++)
        {
            await InsertMessageAsync(m => m with { CampaignId = campaign });
        }

        var first = await Db.Messages.ListAsync(new MessageQuery { CampaignId = campaign, Limit = 3 }, Ct);
        var second = await Db.Messages.ListAsync(new MessageQuery { CampaignId = campaign, Limit = 3, After = first.Next }, Ct);

        Assert.NotNull(first.Next);
        Assert.Equal(3, second.Items.Count);
        Assert.Null(second.Next);
    }

    [Fact]
    public async Task MessagesListAsync_LimitOutOfRange_IsClampedTo1And500()
    {
        var campaign = $"cmp_{Unique()}";
        for (var i = 0; i < 3; i++)
        {
            await InsertMessageAsync(m => m with { CampaignId = campaign });
        }

        var zero = await Db.Messages.ListAsync(new MessageQuery { CampaignId = campaign, Limit = 0 }, Ct);
        var huge = await Db.Messages.ListAsync(new MessageQuery { CampaignId = campaign, Limit = 100_000 }, Ct);

        Assert.Single(zero.Items);
        Assert.NotNull(zero.Next);
        Assert.Equal(3, huge.Items.Count);
        Assert.Null(huge.Next);
    }
}
