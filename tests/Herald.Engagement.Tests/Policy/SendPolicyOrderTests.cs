using Herald.Core.Messaging;
using Herald.Dispatch.Intake;
using Herald.Engagement.Policy;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Engagement.Tests.Policy;

/// <summary>The policy's order and each reason, over in-memory lookups (the database path is tested through the API).</summary>
public sealed class SendPolicyOrderTests
{
    private const string India = "+919812345678";
    private const string NewYork = "+12125552671";
    private static readonly DateTimeOffset Afternoon = new(2026, 12, 7, 8, 30, 0, TimeSpan.Zero); // 14:00 IST, 03:30 New York

    private readonly FakeTimeProvider _clock = new(Afternoon);
    private readonly Lookups _lookups = new();
    private readonly PolicyOptions _options = new() { FrequencyCaps = [.. PolicyOptions.DefaultFrequencyCaps] };

    private SendPolicy Policy() => new(_lookups, _lookups, Options.Create(_options), _clock);

    private MessageRecord Message(string type, string to = India, string? body = "Hello", string? templateId = null, string? sender = null) => new()
    {
        Id = Guid.NewGuid().ToString("N"), To = to, Type = type, Body = body, TemplateId = templateId, Sender = sender, Source = "api",
        Status = DeliveryState.Queued, CreatedAt = _clock.GetUtcNow(), UpdatedAt = _clock.GetUtcNow(),
    };

    private async Task<PolicyDecision> DecideAsync(MessageRecord message, PolicyOverrides? overrides = null) =>
        (await Policy().CheckAsync([new PolicyCheck(message, overrides)], PolicyStage.Intake, TestContext.Current.CancellationToken))[0];

    private static string Reason(PolicyDecision decision) => decision switch
    {
        PolicyDecision.Skip skip => skip.Reason,
        PolicyDecision.Defer defer => defer.Reason,
        _ => "allow",
    };

    [Fact]
    public async Task Suppression_ComesFirst_EvenBeforeConsent()
    {
        _lookups.Suppress(India, "*");

        Assert.Equal("suppressed", Reason(await DecideAsync(Message("mkt"))));
        Assert.Equal("suppressed", Reason(await DecideAsync(Message("otp"))));
    }

    [Fact]
    public async Task Suppression_ForPromotionalOnly_LetsOtpThrough()
    {
        _lookups.Suppress(India, "promotional");

        Assert.Equal("suppressed", Reason(await DecideAsync(Message("mkt"))));
        Assert.Equal("allow", Reason(await DecideAsync(Message("otp"))));
    }

    [Fact]
    public async Task Consent_MarketingNeedsIt_TxnAndOtpDoNot_UnknownNumberHasNone()
    {
        Assert.Equal("no-consent", Reason(await DecideAsync(Message("mkt"))));
        Assert.Equal("allow", Reason(await DecideAsync(Message("txn"))));
        Assert.Equal("allow", Reason(await DecideAsync(Message("otp"))));
        Assert.Equal("allow", Reason(await DecideAsync(Message("default"))));

        _options.PromotionalWithoutContact = true;
        Assert.Equal("allow", Reason(await DecideAsync(Message("mkt"))));
    }

    [Fact]
    public async Task Consent_BeforeDlt_AndDltBeforeTheWindow()
    {
        _lookups.Template("1107000000000000001", "promotional", "Sale {#var#}");
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 23, 0, 0, TimeSpan.FromHours(5.5)));

        // A default message under a promotional template is promotional: no consent comes before the DLT check.
        Assert.Equal("no-consent", Reason(await DecideAsync(Message("default", templateId: "1107000000000000001", body: "Wrong text"))));
        _lookups.Contact(India, promotional: true);
        Assert.Equal("dlt-mismatch", Reason(await DecideAsync(Message("default", templateId: "1107000000000000001", body: "Wrong text"))));
        Assert.Equal("legal-window", Reason(await DecideAsync(Message("default", templateId: "1107000000000000001", body: "Sale today"))));
    }

    [Fact]
    public async Task ServiceExplicitTemplate_NeedsServiceConsent_AndKeepsTheIndianWindow_EvenForOtp()
    {
        _lookups.Template("1107000000000000002", "service-explicit", "Your plan {#var#} renews");
        _lookups.Contact(India, promotional: false, service: true);
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 22, 0, 0, TimeSpan.FromHours(5.5)));

        var decision = await DecideAsync(Message("otp", templateId: "1107000000000000002", body: "Your plan Gold renews"));

        var defer = Assert.IsType<PolicyDecision.Defer>(decision);
        Assert.Equal(new DateTimeOffset(2026, 12, 8, 10, 0, 0, TimeSpan.FromHours(5.5)), defer.Until);
    }

    [Fact]
    public async Task LegalWindow_UsMarketing_DeferredTo0800Local()
    {
        _lookups.Contact(NewYork, promotional: true, timeZone: "America/New_York");

        var defer = Assert.IsType<PolicyDecision.Defer>(await DecideAsync(Message("mkt", NewYork)));

        Assert.Equal(new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.FromHours(-5)), defer.Until);
        Assert.Equal("allow", Reason(await DecideAsync(Message("txn", NewYork))));
    }

    [Fact]
    public async Task QuietHours_OnlyWhenConfigured_DeferOrDrop_NeverForOtp()
    {
        _lookups.Contact(India, promotional: true);
        _clock.SetUtcNow(new DateTimeOffset(2026, 12, 7, 20, 30, 0, TimeSpan.FromHours(5.5)));
        Assert.Equal("allow", Reason(await DecideAsync(Message("default"))));

        _options.QuietHours = "20:00-09:00";
        var defer = Assert.IsType<PolicyDecision.Defer>(await DecideAsync(Message("default")));
        Assert.Equal(("quiet-hours", new DateTimeOffset(2026, 12, 8, 9, 0, 0, TimeSpan.FromHours(5.5))), (defer.Reason, defer.Until));
        Assert.Equal("allow", Reason(await DecideAsync(Message("otp"))));
        Assert.Equal("quiet-hours", Reason(await DecideAsync(Message("mkt"), new PolicyOverrides { QuietHours = (new(20, 0), new(9, 0)), DropInQuietHours = true })));
        Assert.IsType<PolicyDecision.Skip>(await DecideAsync(Message("mkt"), new PolicyOverrides { QuietHours = (new(20, 0), new(9, 0)), DropInQuietHours = true }));
    }

    [Fact]
    public async Task FrequencyCaps_CountEarlierMessagesOfTheList_AndOverridesApply()
    {
        _lookups.Contact(India, promotional: true);
        var checks = Enumerable.Range(0, 3).Select(_ => new PolicyCheck(Message("mkt"))).Append(new PolicyCheck(Message("otp"))).ToList();

        var decisions = await Policy().CheckAsync(checks, PolicyStage.Intake, TestContext.Current.CancellationToken);

        Assert.Equal(["allow", "frequency-cap", "frequency-cap", "allow"], decisions.Select(Reason));
        var lifted = await Policy().CheckAsync(checks.Select(c => c with { Overrides = new PolicyOverrides { FrequencyCaps = [] } }).ToList(),
            PolicyStage.Intake, TestContext.Current.CancellationToken);
        Assert.All(lifted, d => Assert.Equal("allow", Reason(d)));
    }

    [Fact]
    public async Task FrequencyCaps_MessagesAlreadySentCount_ByWindow()
    {
        _lookups.Contact(India, promotional: true);
        _lookups.Sent(India, _clock.GetUtcNow() - TimeSpan.FromHours(5));
        _lookups.Sent(India, _clock.GetUtcNow() - TimeSpan.FromHours(6));

        Assert.Equal("allow", Reason(await DecideAsync(Message("mkt")))); // 2 in 24 h, 0 in 4 h
        _lookups.Sent(India, _clock.GetUtcNow() - TimeSpan.FromHours(7));
        Assert.Equal("frequency-cap", Reason(await DecideAsync(Message("mkt")))); // 3 in 24 h
    }

    [Fact]
    public async Task DispatchStage_FreshMessagesPass_WaitingOnesAreCheckedAgain()
    {
        var message = Message("otp");
        _lookups.Suppress(India, "*");

        var fresh = await Policy().CheckAsync([new PolicyCheck(message)], PolicyStage.Dispatch, TestContext.Current.CancellationToken);
        _clock.Advance(TimeSpan.FromMinutes(2));
        var waited = await Policy().CheckAsync([new PolicyCheck(message)], PolicyStage.Dispatch, TestContext.Current.CancellationToken);

        Assert.Equal("allow", Reason(fresh[0]));
        Assert.Equal("suppressed", Reason(waited[0]));
    }

    private sealed class Lookups : IPolicyStore, IDltTemplateStore
    {
        private readonly Dictionary<string, SuppressionEntry> _suppressions = [];
        private readonly Dictionary<string, PolicyContact> _contacts = [];
        private readonly Dictionary<string, DltTemplateRecord> _templates = [];
        private readonly List<CountedMessage> _sent = [];

        public void Suppress(string phone, string categories) =>
            _suppressions[phone] = new SuppressionEntry(phone, "opt-out", categories.Split(','), DateTimeOffset.UnixEpoch);

        public void Contact(string phone, bool promotional, bool? service = null, string timeZone = "Asia/Kolkata")
        {
            var consents = new Dictionary<string, bool> { ["promotional"] = promotional };
            if (service is { } s)
            {
                consents["service"] = s;
            }
            _contacts[phone] = new PolicyContact("ct_" + phone, phone, null, timeZone, consents);
        }

        public void Template(string id, string category, string text) => _templates[id] = new DltTemplateRecord
        {
            TemplateId = id, EntityId = "1201159876543210", Header = "SHOPIN", Category = category, Text = text,
            CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
        };

        public void Sent(string phone, DateTimeOffset at) => _sent.Add(new CountedMessage(Guid.NewGuid().ToString("N"), phone, at));

        public Task<IReadOnlyDictionary<string, SuppressionEntry>> SuppressionsAsync(IReadOnlyCollection<string> phones, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<string, SuppressionEntry>>(_suppressions.Where(s => phones.Contains(s.Key)).ToDictionary());

        public Task<IReadOnlyDictionary<string, PolicyContact>> ContactsAsync(IReadOnlyCollection<string> phones, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<string, PolicyContact>>(_contacts.Where(c => phones.Contains(c.Key)).ToDictionary());

        public Task<IReadOnlyList<CountedMessage>> RecentAsync(IReadOnlyCollection<string> phones, string type, DateTimeOffset since, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<CountedMessage>>(_sent.Where(m => phones.Contains(m.To) && m.At >= since).ToList());

        public Task<IReadOnlyDictionary<string, DltTemplateRecord>> FindManyAsync(IReadOnlyCollection<string> templateIds, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<string, DltTemplateRecord>>(_templates.Where(t => templateIds.Contains(t.Key)).ToDictionary());

        public Task<bool> InsertAsync(DltTemplateRecord template, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<bool> UpdateAsync(DltTemplateRecord template, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<bool> DeleteAsync(string templateId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<DltTemplateRecord?> GetAsync(string templateId, CancellationToken cancellationToken) => Task.FromResult(_templates.GetValueOrDefault(templateId));
        public Task<IReadOnlyList<DltTemplateRecord>> ListAsync(string? after, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
