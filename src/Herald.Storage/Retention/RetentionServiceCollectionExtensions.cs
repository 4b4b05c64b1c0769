using Herald.Storage.Retention;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Herald.Storage;

/// <summary>Registers retention: the one background loop and its steps.</summary>
public static class RetentionServiceCollectionExtensions
{
    /// <summary>Adds message retention (<c>Herald:Retention</c>, validated at start) and the loop that applies every retention step.</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>());
        services.TryAddSingleton(sp => sp.GetRequiredService<HeraldDatabase>().Retention);
        services.AddRetentionStep<MessageContentRetention>();
        services.AddRetentionStep<MessageRetention>();
        return services;
    }

    /// <summary>Adds a step to the retention loop (and the loop itself, once).</summary>
    public static IServiceCollection AddRetentionStep<TStep>(this IServiceCollection services) where TStep : class, IRetentionStep
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRetentionStep, TStep>());
        services.TryAddSingleton<RetentionLoop>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RetentionLoop>(sp => sp.GetRequiredService<RetentionLoop>()));
        return services;
    }
}
