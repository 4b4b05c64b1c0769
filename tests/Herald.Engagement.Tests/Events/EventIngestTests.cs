using System.Text.Json.Nodes;
using Herald.Dispatch.Intake;
using Herald.Engagement.Contacts;
using Herald.Engagement.Events;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Engagement.Tests.Events;

/// <summary>How Segment calls become events: the clock-skew correction, identify's contact change, and the checks.</summary>
public sealed class EventIngestTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 31, 10, 0, 0, TimeSpan.Zero);

    private sealed class RecordingStore(params string[] known) : IEventStore
    {
        public List<EventWrite> Written { get; } = [];

        public Task<EventIngestResult> IngestAsync(IReadOnlyList<EventWrite> items, CancellationToken cancellationToken)
        {
            Written.AddRange(items);
            return Task.FromResult(new EventIngestResult(items.Count, 0, new Dictionary<int, string>()));
        }

        public Task<IReadOnlySet<string>> KnownExternalIdsAsync(IReadOnlyCollection<string> externalIds, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlySet<string>>(externalIds.Where(known.Contains).ToHashSet());

        public Task<IReadOnlyList<EventRecord>> ListForContactAsync(string contactId, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<ContactEventStat>> StatsForContactAsync(string contactId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static (EventIngest Ingest, RecordingStore Store) Create(params string[] known)
    {
        var store = new RecordingStore(known);
        var time = new FakeTimeProvider(Now);
        return (new EventIngest(new ContactRules(Options.Create(new IntakeOptions()), time), store, time, []), store);
    }

    private static JsonObject Item(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public async Task IngestAsync_SenderClockBehind_MovesTimestampsByTheGap()
    {
        var (ingest, store) = Create("u1");

        var outcome = await ingest.IngestAsync([
            Item("""{"type":"track","userId":"u1","event":"opened","timestamp":"2026-01-31T08:50:00Z","messageId":"a"}"""),
            Item("""{"type":"track","userId":"u1","event":"opened","timestamp":"2026-01-31T08:50:00Z","sentAt":"2026-01-31T09:30:00Z","messageId":"b"}"""),
            Item("""{"type":"page","anonymousId":"x","messageId":"c"}"""),
        ], JsonValue.Create("2026-01-31T09:00:00Z"), "batch", TestContext.Current.CancellationToken);

        Assert.Null(outcome.Errors);
        // Batch sentAt 09:00, received 10:00: one hour ahead. The item's own sentAt (09:30) wins over the batch's.
        Assert.Equal([Now.AddMinutes(-10), Now.AddMinutes(-40), Now], store.Written.Select(w => w.Event.At));
    }

    [Fact]
    public async Task IngestAsync_IdentifyWithPhone_MakesTheUserKnownForLaterItems()
    {
        var (ingest, store) = Create();

        var outcome = await ingest.IngestAsync([
            Item("""{"type":"identify","userId":"new","traits":{"phone":"+919812345678","name":"Asha","address":{"city":"Pune"}},"messageId":"i"}"""),
            Item("""{"type":"track","userId":"new","event":"signed_up","messageId":"t"}"""),
        ], null, "batch", TestContext.Current.CancellationToken);

        Assert.Null(outcome.Errors);
        var contact = store.Written[0].Contact!;
        Assert.Equal(("+919812345678", "new"), (contact.Phone, contact.ExternalId));
        Assert.Equal("""{"name":"Asha"}""", contact.Attributes!.ToJsonString());
        Assert.Null(store.Written[1].Contact);
    }

    [Fact]
    public async Task IngestAsync_BadItems_NamesEachAndStoresNothing()
    {
        var (ingest, store) = Create("u1");

        var outcome = await ingest.IngestAsync([
            Item("""{"type":"track","userId":"u1","event":"ok","messageId":"1"}"""),
            Item("""{"type":"track","userId":"ghost","event":"x","messageId":"2"}"""),
            Item("""{"type":"identify","userId":"u2","traits":{"phone":"12"},"messageId":"3"}"""),
            Item("""{"type":"track","event":"x","messageId":"4"}"""),
            Item("""{"userId":"u1","messageId":"5"}"""),
        ], null, "batch", TestContext.Current.CancellationToken);

        Assert.Equal(["batch[1].userId", "batch[2].traits.phone", "batch[3].userId", "batch[4].type"], outcome.Errors!.Keys.Order());
        Assert.Empty(store.Written);
    }
}
