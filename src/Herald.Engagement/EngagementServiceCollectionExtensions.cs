using Herald.Engagement.Campaigns;
using Herald.Engagement.Dlt;
using Herald.Engagement.Journeys;
using Herald.Dispatch.Outbox;
using Herald.Engagement.Inbound;
using Herald.Engagement.Links;
using Herald.Engagement.Policy;
using Herald.Engagement.Segments;
using Herald.Engagement.Templates;
using Microsoft.Extensions.Configuration;
using Herald.Dispatch.Intake;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Herald.Engagement;

/// <summary>Registers the engagement engines (contacts, events, segments, templates, campaigns and the send-path policy).</summary>
public static class EngagementServiceCollectionExtensions
{
    /// <summary>Adds the engagement engines. Their endpoints and pages are mapped by the host.</summary>
    public static IServiceCollection AddHeraldEngagement(this IServiceCollection services, IConfiguration configuration)
    {
        var policy = configuration.GetSection(PolicyOptions.Section);
        services.AddOptions<PolicyOptions>()
            .Bind(policy)
            // The binder appends configured list items to a default list, so the defaults apply only when nothing is configured.
            .PostConfigure(o => { if (!policy.GetSection(nameof(PolicyOptions.FrequencyCaps)).Exists()) o.FrequencyCaps = [.. PolicyOptions.DefaultFrequencyCaps]; })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PolicyOptions>, PolicyOptionsValidator>();
        services.AddSingleton<ISegmentService, SegmentService>();
        // The one send-path policy: replaces Dispatch's allow-all default, so the intake and the dispatcher both run it.
        services.Replace(ServiceDescriptor.Singleton<ISendPolicy, SendPolicy>());
        services.AddSingleton<IMessageTemplates, MessageTemplates>();
        services.AddSingleton<IDltTemplates, DltTemplates>();
        services.AddOptions<CampaignOptions>().Bind(configuration.GetSection(CampaignOptions.Section))
            .Validate(o => o.ChunkSize is >= 1 and <= 5000, "Herald:Campaigns:ChunkSize must be between 1 and 5000.")
            .Validate(o => o.Lease >= TimeSpan.FromSeconds(5), "Herald:Campaigns:Lease must be at least 5 seconds.")
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Herald:Campaigns:PollInterval must be above zero.")
            .Validate(o => o.DryRunLimit >= 1, "Herald:Campaigns:DryRunLimit must be at least 1.")
            .Validate(o => o.Pricing.Values.All(p => p >= 0), "Herald:Campaigns:Pricing: a price per segment must not be negative.")
            .Validate(o => o.GlobalControlPercent is >= 0 and <= 20, "Herald:Campaigns:GlobalControlPercent must be between 0 (none) and 20 percent.")
            .ValidateOnStart();
        services.AddSingleton<ICampaigns, CampaignService>();
        services.AddSingleton<CampaignRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<CampaignRunner>());
        services.AddOptions<JourneyOptions>().Bind(configuration.GetSection(JourneyOptions.Section))
            .Validate(o => o.BatchSize is >= 1 and <= 5000, "Herald:Journeys:BatchSize must be between 1 and 5000.")
            .Validate(o => o.EventBatchSize is >= 1 and <= 10000, "Herald:Journeys:EventBatchSize must be between 1 and 10000.")
            .Validate(o => o.Lease >= TimeSpan.FromSeconds(5), "Herald:Journeys:Lease must be at least 5 seconds.")
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Herald:Journeys:PollInterval must be above zero.")
            .Validate(o => o.SegmentEvaluationInterval >= TimeSpan.FromSeconds(1) && o.SegmentEvaluationInterval <= TimeSpan.FromDays(1),
                "Herald:Journeys:SegmentEvaluationInterval must be between 00:00:01 and 1.00:00:00 (how often a segment trigger looks for new members).")
            .Validate(o => o.SegmentChangeDelay >= TimeSpan.Zero && o.SegmentChangeDelay <= o.SegmentEvaluationInterval,
                "Herald:Journeys:SegmentChangeDelay must be between 0 and Herald:Journeys:SegmentEvaluationInterval.")
            .ValidateOnStart();
        services.AddSingleton<IJourneys, JourneyService>();
        services.AddSingleton<JourneyRunner>();
        services.AddSingleton<IJourneySignal>(sp => sp.GetRequiredService<JourneyRunner>());
        services.AddHostedService(sp => sp.GetRequiredService<JourneyRunner>());
        services.AddSingleton<IOutboxTopic, JourneyWebhookTopic>();
        // Short links' clicks (a batch writer behind the redirect) and inbound replies with their keywords (issue 13).
        services.AddOptions<LinkClickOptions>().Bind(configuration.GetSection(LinkClickOptions.Section))
            .Validate(o => o.ClickQueue is >= 100 and <= 10_000_000, "Herald:Links:ClickQueue must be between 100 and 10,000,000.")
            .Validate(o => o.ClickBatch is >= 1 and <= 10_000, "Herald:Links:ClickBatch must be between 1 and 10,000.")
            .Validate(o => o.CacheSize is >= 0 and <= 10_000_000, "Herald:Links:CacheSize must be between 0 and 10,000,000.")
            .ValidateOnStart();
        services.AddSingleton<LinkClicks>();
        services.AddSingleton<ILinkClicks>(sp => sp.GetRequiredService<LinkClicks>());
        services.AddHostedService(sp => sp.GetRequiredService<LinkClicks>());
        services.AddOptions<InboundOptions>().Bind(configuration.GetSection(InboundOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<InboundOptions>, InboundOptionsValidator>();
        services.AddSingleton<IInboundReplies, InboundReplies>();
        return services;
    }
}
