using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Herald.Providers.Abstractions;

/// <summary>Collects a provider kind's validation errors by field and reads its settings object.</summary>
internal sealed class SettingsValidation
{
    private readonly Dictionary<string, List<string>> _errors = new();

    /// <summary>Adds an error for <paramref name="field"/> (e.g. <c>settings.endpoint</c>).</summary>
    public void Error(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }
        list.Add(message);
    }

    /// <summary>Reads the settings object, or records why it cannot be read; <paramref name="shape"/> says what it should hold.</summary>
    public T? Read<T>(JsonElement settings, JsonTypeInfo<T> typeInfo, string shape) where T : class
    {
        if (settings.ValueKind != JsonValueKind.Object)
        {
            Error("settings", $"settings must be a JSON object with {shape}.");
            return null;
        }
        try
        {
            return settings.Deserialize(typeInfo);
        }
        catch (JsonException ex)
        {
            var path = ex.Path is null or "$" ? "" : "." + ex.Path.TrimStart('$', '.');
            Error("settings" + path, $"settings could not be read: {ex.Message}");
            return null;
        }
    }

    /// <summary>The result: the normalised settings when there is no error, else the errors.</summary>
    public ProviderValidation Result(string? settings) =>
        new(_errors.Count == 0 ? settings : null, _errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
}
