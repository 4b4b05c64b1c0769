using Herald.Core.Messaging;
using Herald.Storage.Records;

namespace Herald.Storage.Tests;

public abstract partial class StorageComplianceTests
{
    [Fact]
    public async Task DeadLetters_FailedMessage_ListedWithReason_RequeuedOnceAsANewAttempt()
    {
        var providerId = $"prv_{Unique()}";
        var message = NewMessage() with { ProviderId = providerId, Status = DeliveryState.Queued, Attempts = 0 };
        await Db.Messages.InsertAsync(message, QueuedEvent(message), Ct);
        await Db.Messages.TransitionAsync(message.Id, new StateChange
        {
            Proposed = DeliveryState.Failed, Source = "provider-response", Event = "permanent-failure", Note = "number barred",
        }, Ct);

        var page = await Db.DeadLetters.ListDeadLettersAsync(new DeadLetterQuery { ProviderId = providerId, Status = DeliveryState.Failed }, Ct);
        var dead = Assert.Single(page.Items);
        Assert.Equal(message.Id, dead.Message.Id);
        Assert.Equal("number barred", dead.Reason);
        Assert.Empty((await Db.DeadLetters.ListDeadLettersAsync(new DeadLetterQuery { ProviderId = providerId, Status = DeliveryState.Expired }, Ct)).Items);

        var now = Time.GetUtcNow().AddMinutes(1);
        var requeued = await Db.DeadLetters.RequeueAsync([message.Id, "no-such-message"], new Requeue(now, now.AddMinutes(10), now.AddHours(24), "api"), Ct);
        Assert.Equal([message.Id], requeued);
        var stored = await Db.Messages.GetAsync(message.Id, Ct);
        Assert.Equal(DeliveryState.Queued, stored!.Status);
        Assert.Equal(0, stored.Attempts);
        Assert.Equal("requeued", (await Db.Messages.GetEventsAsync(message.Id, Ct))[^1].Event);
        Assert.Empty((await Db.DeadLetters.ListDeadLettersAsync(new DeadLetterQuery { ProviderId = providerId }, Ct)).Items);
        Assert.Empty(await Db.DeadLetters.RequeueAsync([message.Id], new Requeue(now, now, now, "api"), Ct));
    }

    [Fact]
    public async Task Idempotency_BatchAnswer_IsStoredAndFoundWithItsStatus()
    {
        var key = $"batch-{Unique()}";
        var now = Time.GetUtcNow();
        await Db.Queue.EnqueueAsync([], new IdempotencyRecord(key, "batch:abc", "msg-1", now) { Response = """{"accepted":[]}""", ResponseStatus = 202 }, Ct);

        var found = await Db.Queue.FindIdempotencyAsync(key, now.AddHours(-24), Ct);

        Assert.Equal("""{"accepted":[]}""", found!.Response);
        Assert.Equal(202, found.ResponseStatus);
        Assert.Equal("msg-1", found.MessageId);
    }
}
