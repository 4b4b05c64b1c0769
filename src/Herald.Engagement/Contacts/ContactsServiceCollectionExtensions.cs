using Herald.Engagement.Events;
using Herald.Engagement.Imports;
using Herald.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Engagement.Contacts;

/// <summary>Registers contacts, suppressions, events and imports.</summary>
public static class ContactsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the contact rules and services, Segment-style event ingestion, event retention and the import worker.
    /// <paramref name="spoolDirectory"/> is where imports are spooled unless Herald:Imports:SpoolDirectory says otherwise.
    /// </summary>
    public static IServiceCollection AddContacts(this IServiceCollection services, IConfiguration configuration, string spoolDirectory)
    {
        services.AddSingleton<ContactRules>();
        services.AddSingleton<IContactService, ContactService>();
        services.AddSingleton<ISuppressionService, SuppressionService>();
        services.AddSingleton<IEventIngest, EventIngest>();
        services.AddOptions<EventOptions>().Bind(configuration.GetSection(EventOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EventOptions>, EventOptionsValidator>();
        services.AddRetentionStep<EventRetention>();
        services.AddOptions<ImportOptions>().Bind(configuration.GetSection(ImportOptions.Section))
            .PostConfigure(o => o.SpoolDirectory = string.IsNullOrWhiteSpace(o.SpoolDirectory) ? spoolDirectory : Path.GetFullPath(o.SpoolDirectory))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ImportOptions>, ImportOptionsValidator>();
        services.AddSingleton<ContactImports>();
        services.AddSingleton<IContactImports>(sp => sp.GetRequiredService<ContactImports>());
        services.AddHostedService(sp => sp.GetRequiredService<ContactImports>());
        return services;
    }
}
