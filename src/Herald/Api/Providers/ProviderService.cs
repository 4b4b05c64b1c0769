using Herald.Shared;
using Herald.Core;
using System.Collections.Concurrent;
using System.Text.Json;
using Herald.Core.Providers;
using Herald.Api.DeliveryReports;
using Herald.Hosting;
using Herald.Providers;
using Herald.Providers.Abstractions;
using Herald.Providers.Http;
using Herald.Security;
using Herald.Storage;
using Herald.Storage.Records;
using Microsoft.Extensions.Options;

namespace Herald.Api.Providers;

/// <summary>A provider as the API shows it: secrets masked.</summary>
public sealed record ProviderView(
    string Id,
    string Nickname,
    string Kind,
    JsonElement Settings,
    Uri CallbackUrl,
    IReadOnlyList<string> CustomPlaceholders,
    ProviderLimits Limits,
    CredentialStatus Credentials,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    Uri? InboundUrl = null,
    bool ShortenLinks = true) : Audit.IAudited
{
    // Never the settings: they hold the provider's credentials.
    string Audit.IAudited.AuditSummary => $"provider '{Nickname}' ({Kind})";
}

/// <summary>Whether the provider accepts Herald's credentials: failing after a 401/403 until a message is accepted again or the settings change.</summary>
public sealed record CredentialStatus(bool Failing, DateTimeOffset? Since, string? Error);

/// <summary>
/// How hard the dispatcher may push a provider: messages a second and requests at once (0 or absent = no limit), and the
/// most segments one message through it may take (0 or absent = the server-wide Herald:MaxSegments). Editable at runtime.
/// </summary>
public sealed record ProviderLimits(int? MessagesPerSecond, int? MaxInFlight, int? MaxSegments = null);

/// <summary>The body of POST/PUT /api/v1/providers.</summary>
/// <param name="ShortenLinks">
/// Whether Herald shortens the links in messages through this provider (default true); false for a provider that shortens links
/// itself. Absent on an update: unchanged.
/// </param>
public sealed record ProviderInput(string? Nickname, string? Kind, JsonElement Settings, ProviderLimits? Limits = null, bool? ShortenLinks = null);

/// <summary>The result of a create or update: the provider, or the errors by field.</summary>
internal sealed record ProviderChange(ProviderView? Provider, IReadOnlyDictionary<string, string[]>? Errors, bool NotFound = false);

/// <summary>What removing a provider did: removed, not found, or refused because provider groups list it (their names).</summary>
internal sealed record ProviderRemoval(bool Removed, bool NotFound, IReadOnlyList<string> UsedByGroups)
{
    /// <summary>Why it was refused, for people; null when it was not.</summary>
    public string? Refusal(string nickname) => UsedByGroups.Count == 0 ? null
        : $"The provider {nickname} is in the provider group(s) {string.Join(", ", UsedByGroups)}: remove it from them first (PUT /api/v1/provider-groups/{{name}}), or remove the groups.";
}

/// <summary>
/// A stored provider read for use: its kind, its settings parsed once (secrets decrypted) and the sender built from them.
/// Kept per provider until its row changes (<paramref name="Version"/> is the row's <c>UpdatedAt</c>).
/// </summary>
internal sealed record ReadyProvider(DateTimeOffset Version, IProviderKind Kind, IProviderSettings Settings, ISmsSender Sender,
    IReadOnlyList<string> CustomPlaceholders, IDeliveryReportFormat Reports);

/// <summary>Provider configuration: validation, secrets at rest, and ready providers.</summary>
internal sealed class ProviderService(
    IProviderStore store,
    IProviderGroupStore groups,
    IProviderKinds kinds,
    ISecretProtector protector,
    IPublicUrls urls,
    IOptions<HeraldOptions> options,
    IOptionsMonitor<OutboundOptions> outbound,
    TimeProvider time)
{
    // The one cache of read settings and senders: stored settings are parsed once per provider version, not per send.
    private readonly ConcurrentDictionary<string, ReadyProvider> _ready = new(StringComparer.Ordinal);

    private ProviderValidationContext ValidationContext => new(options.Value.Providers.AllowInsecureLoopback)
    {
        AllowedNetworks = outbound.CurrentValue.AllowedNetworks(),
    };

    public async Task<IReadOnlyList<ProviderView>> ListAsync(CancellationToken cancellationToken) =>
        (await store.ListAsync(cancellationToken)).Select(View).ToList();

    public async Task<ProviderView?> GetAsync(string idOrNickname, CancellationToken cancellationToken) =>
        await store.FindAsync(idOrNickname, cancellationToken) is { } record ? View(record) : null;

    public async Task<ProviderChange> CreateAsync(ProviderInput input, CancellationToken cancellationToken)
    {
        var (kind, settings, errors) = Validate(input);
        if (errors.Count > 0)
        {
            return new ProviderChange(null, errors);
        }
        var now = time.GetUtcNow();
        var record = new ProviderRecord
        {
            Id = Ids.NewId("prv"),
            Nickname = input.Nickname!.Trim(),
            Kind = kind!.Kind,
            Settings = kind.TransformSecrets(settings!, protector.Protect),
            CallbackToken = Ids.NewToken(),
            CreatedAt = now,
            UpdatedAt = now,
            RateLimit = input.Limits?.MessagesPerSecond ?? 0,
            MaxInFlight = input.Limits?.MaxInFlight ?? 0,
            MaxSegments = input.Limits?.MaxSegments ?? 0,
            ShortenLinks = input.ShortenLinks ?? true,
        };
        try
        {
            await store.InsertAsync(record, cancellationToken);
        }
        catch (DuplicateNicknameException ex)
        {
            return new ProviderChange(null, new Dictionary<string, string[]> { ["nickname"] = [ex.Message + " Choose another nickname."] });
        }
        return new ProviderChange(View(record), null);
    }

    public async Task<ProviderChange> UpdateAsync(string idOrNickname, ProviderInput input, CancellationToken cancellationToken)
    {
        var existing = await store.FindAsync(idOrNickname, cancellationToken);
        if (existing is null)
        {
            return new ProviderChange(null, null, NotFound: true);
        }
        var (kind, settings, errors) = Validate(input);
        if (errors.Count > 0)
        {
            return new ProviderChange(null, errors);
        }
        if (string.Equals(kind!.Kind, existing.Kind, StringComparison.OrdinalIgnoreCase))
        {
            settings = kind.KeepMaskedSecrets(settings!, Plain(existing));
        }
        var record = existing with
        {
            Nickname = input.Nickname!.Trim(),
            Kind = kind.Kind,
            Settings = kind.TransformSecrets(settings!, protector.Protect),
            UpdatedAt = time.GetUtcNow(),
            RateLimit = input.Limits is null ? existing.RateLimit : input.Limits.MessagesPerSecond ?? 0,
            MaxInFlight = input.Limits is null ? existing.MaxInFlight : input.Limits.MaxInFlight ?? 0,
            MaxSegments = input.Limits is null ? existing.MaxSegments : input.Limits.MaxSegments ?? 0,
            ShortenLinks = input.ShortenLinks ?? existing.ShortenLinks,
        };
        try
        {
            await store.UpdateAsync(record, cancellationToken);
        }
        catch (DuplicateNicknameException ex)
        {
            return new ProviderChange(null, new Dictionary<string, string[]> { ["nickname"] = [ex.Message + " Choose another nickname."] });
        }
        _ready.TryRemove(record.Id, out _);
        return new ProviderChange(View(record), null);
    }

    /// <summary>Removes a provider unless a provider group lists it: groups never point at providers that do not exist.</summary>
    public async Task<ProviderRemoval> DeleteAsync(string idOrNickname, CancellationToken cancellationToken)
    {
        var existing = await store.FindAsync(idOrNickname, cancellationToken);
        if (existing is null)
        {
            return new ProviderRemoval(false, true, []);
        }
        var usedBy = await groups.GroupsUsingProviderAsync(existing.Id, cancellationToken);
        if (usedBy.Count > 0)
        {
            return new ProviderRemoval(false, false, usedBy.Select(g => g.Name).ToList());
        }
        if (!await store.DeleteAsync(existing.Id, cancellationToken))
        {
            return new ProviderRemoval(false, true, []);
        }
        _ready.TryRemove(existing.Id, out _);
        return new ProviderRemoval(true, false, []);
    }

    /// <summary>A stored provider ready for use: its settings are read and its sender built once per version of its row.</summary>
    public ReadyProvider Ready(ProviderRecord record)
    {
        if (_ready.TryGetValue(record.Id, out var cached) && cached.Version == record.UpdatedAt
            && string.Equals(cached.Kind.Kind, record.Kind, StringComparison.OrdinalIgnoreCase))
        {
            return cached;
        }
        var kind = KindOf(record);
        var settings = kind.Read(record.Settings, protector.Unprotect);
        var ready = new ReadyProvider(record.UpdatedAt, kind, settings,
            kind.CreateSender(settings, new ProviderInstance(record.Id, record.Nickname, CallbackUrl(record))),
            kind.CustomPlaceholders(settings).Select(p => p.Placeholder.Name).ToList(), kind.ReportsFor(settings));
        _ready[record.Id] = ready;
        return ready;
    }

    /// <summary>How a stored provider's delivery reports are read: its kind's format, or the one its settings declare.</summary>
    public IDeliveryReportFormat ReportsFor(ProviderRecord record) => Ready(record).Reports;

    /// <summary>
    /// Reads a sample callback as the provider's callback URL would (nothing is stored or applied), by its saved settings or by the
    /// declaration sent with the sample; errors by field when the sample or the declaration cannot be used.
    /// </summary>
    public async Task<(ReportPreview? Preview, IReadOnlyDictionary<string, string[]>? Errors, bool NotFound)> PreviewReportsAsync(string idOrNickname,
        ReportSample sample, CancellationToken cancellationToken)
    {
        var record = await store.FindAsync(idOrNickname, cancellationToken);
        if (record is null)
        {
            return (null, null, true);
        }
        var (preview, errors) = PreviewReports(KindOf(record), sample, () => ReportsFor(record));
        return (preview, errors, false);
    }

    /// <summary>Reads a sample callback by a kind's report format: the one <paramref name="saved"/> gives, or the declaration sent with the sample.</summary>
    public (ReportPreview? Preview, IReadOnlyDictionary<string, string[]>? Errors) PreviewReports(IProviderKind kind, ReportSample sample,
        Func<IDeliveryReportFormat>? saved)
    {
        if (ReportPreviews.Check(sample) is { } problem)
        {
            return (null, new Dictionary<string, string[]> { [problem.Field] = [problem.Message] });
        }
        IDeliveryReportFormat format;
        if (sample.Reports is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } reports)
        {
            if (kind.DeclaredReports(reports) is not { } declared)
            {
                return (null, new Dictionary<string, string[]> { ["reports"] = [$"A {kind.DisplayName} provider's reports are not declared in its settings: leave reports out."] });
            }
            if (declared.Format is null)
            {
                return (null, declared.Errors);
            }
            format = declared.Format;
        }
        else
        {
            format = saved?.Invoke() ?? kind.Reports;
        }
        return (ReportPreviews.Read(format, format.Name ?? kind.Kind, sample), null);
    }

    /// <summary>A ready sender for a stored provider, rebuilt only when its settings change.</summary>
    public ISmsSender SenderFor(ProviderRecord record) => Ready(record).Sender;

    public Uri CallbackUrl(ProviderRecord record) => urls.CallbackUrl(record.Id, record.CallbackToken);

    /// <summary>
    /// Where the provider posts inbound messages (<c>{PublicBaseUrl}/inbound/{id}/{token}</c>, the callback URL's token); null for a kind
    /// that reads none.
    /// </summary>
    public Uri? InboundUrl(ProviderRecord record) => KindOf(record).Inbound is null ? null
        : new Uri($"{urls.BaseUrl.ToString().TrimEnd('/')}/inbound/{Uri.EscapeDataString(record.Id)}/{Uri.EscapeDataString(record.CallbackToken)}");

    /// <summary>How the provider's inbound messages read (by its settings), or null when its kind reads none.</summary>
    public IInboundMessageFormat? InboundFor(ProviderRecord record) => Ready(record) is var ready ? ready.Kind.InboundFor(ready.Settings) : null;

    public IReadOnlyList<string> CustomPlaceholders(ProviderRecord record) => Ready(record).CustomPlaceholders;

    private (IProviderKind? Kind, string? Settings, Dictionary<string, string[]> Errors) Validate(ProviderInput input)
    {
        var errors = new Dictionary<string, string[]>();
        var nickname = input.Nickname?.Trim();
        if (string.IsNullOrEmpty(nickname))
        {
            errors["nickname"] = ["nickname is required: a unique name such as Kaleyra_SMS."];
        }
        else if (nickname.Length > 64)
        {
            errors["nickname"] = ["nickname is at most 64 characters."];
        }
        if (input.Limits is { MessagesPerSecond: < 0 or > 1_000_000 })
        {
            errors["limits.messagesPerSecond"] = ["messagesPerSecond must be between 0 (no limit) and 1,000,000."];
        }
        if (input.Limits is { MaxInFlight: < 0 or > 10_000 })
        {
            errors["limits.maxInFlight"] = ["maxInFlight must be between 0 (no limit) and 10,000."];
        }
        if (input.Limits is { MaxSegments: < 0 or > Herald.Core.Encoding.SegmentLimit.Maximum })
        {
            errors["limits.maxSegments"] = [$"maxSegments must be between 0 (Herald:MaxSegments applies) and {Herald.Core.Encoding.SegmentLimit.Maximum}."];
        }
        var kind = kinds.Find(input.Kind ?? "generic");
        if (kind is null)
        {
            errors["kind"] = [$"kind '{input.Kind}' is not supported: use one of {string.Join(", ", kinds.All.Select(k => k.Kind))}."];
            return (null, null, errors);
        }
        if (input.Settings.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            errors["settings"] = ["settings are required: the provider's endpoint, authentication, headers and parameters."];
            return (kind, null, errors);
        }
        var validation = kind.Validate(input.Settings, ValidationContext);
        foreach (var (field, messages) in validation.Errors)
        {
            errors[field] = messages;
        }
        return (kind, validation.Settings, errors);
    }

    private IProviderKind KindOf(ProviderRecord record) =>
        kinds.Find(record.Kind) ?? throw new InvalidOperationException($"Provider {record.Id} has kind '{record.Kind}', which this Herald does not know.");

    private string Plain(ProviderRecord record) => KindOf(record).TransformSecrets(record.Settings, protector.Unprotect);

    private ProviderView View(ProviderRecord record)
    {
        var kind = KindOf(record);
        var masked = kind.TransformSecrets(record.Settings, _ => Secrets.Mask);
        using var document = JsonDocument.Parse(masked);
        return new ProviderView(record.Id, record.Nickname, record.Kind, document.RootElement.Clone(), CallbackUrl(record),
            CustomPlaceholders(record), new ProviderLimits(record.RateLimit, record.MaxInFlight, record.MaxSegments),
            new CredentialStatus(record.CredentialsFailedAt is not null, record.CredentialsFailedAt, record.CredentialsError), record.CreatedAt, record.UpdatedAt,
            InboundUrl(record), record.ShortenLinks);
    }
}
