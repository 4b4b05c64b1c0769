using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Herald.Cli.Client;

namespace Herald.Cli;

/// <summary>
/// Provider files for version control: what <c>herald providers export</c> writes and <c>herald providers add
/// --from-file</c> reads. Secrets never leave Herald (the API masks them as <c>****</c>), so an export puts an
/// environment reference such as <c>${HERALD_SECRET_KALEYRA_SMS_API_KEY}</c> where each secret was, and
/// <c>add</c> fills every <c>${NAME}</c> from the environment.
/// </summary>
internal static partial class ProviderFiles
{
    public const string Mask = "****";

    /// <summary>The provider objects in a file: one object, an array of them, or <c>{"providers":[...]}</c>.</summary>
    public static IReadOnlyList<JsonObject> Read(string text, string source)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new CliException(ExitCodes.Usage, $"{source} is not valid JSON: {ex.Message}");
        }
        var items = root switch
        {
            JsonObject o when o["providers"] is JsonArray array => array,
            JsonArray array => array,
            JsonObject o => new JsonArray(o.DeepClone()),
            _ => throw new CliException(ExitCodes.Usage, $"{source} must hold a provider object, an array of them, or {{\"providers\":[...]}} as `herald providers export` writes."),
        };
        var providers = new List<JsonObject>();
        foreach (var item in items)
        {
            if (item is not JsonObject provider)
            {
                throw new CliException(ExitCodes.Usage, $"{source}: every provider must be a JSON object with nickname, kind and settings.");
            }
            providers.Add((JsonObject)provider.DeepClone());
        }
        if (providers.Count == 0)
        {
            throw new CliException(ExitCodes.Usage, $"{source} holds no providers.");
        }
        return providers;
    }

    /// <summary>Replaces every <c>${NAME}</c> in string values with the environment variable; names the ones that are not set.</summary>
    public static IReadOnlyList<string> FillFromEnvironment(JsonNode node, Func<string, string?> environment)
    {
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        Walk(node, (value, _, _) =>
        {
            if (!value.Contains("${", StringComparison.Ordinal))
            {
                return null;
            }
            return Reference().Replace(value, match =>
            {
                var name = match.Groups[1].Value;
                if (environment(name) is { } set)
                {
                    return set;
                }
                missing.Add(name);
                return match.Value;
            });
        });
        return missing.ToList();
    }

    /// <summary>
    /// The export form of a provider as the API shows it: nickname, kind and settings, each masked secret replaced by
    /// an environment reference. Returns the references made.
    /// </summary>
    public static (JsonObject Provider, IReadOnlyList<string> Secrets) Export(JsonNode provider)
    {
        var nickname = Json.Str(provider, "nickname") ?? "provider";
        var settings = provider["settings"]?.DeepClone() ?? new JsonObject();
        var names = new List<string>();
        Walk(settings, (value, property, parent) =>
        {
            if (value != Mask)
            {
                return null;
            }
            // In a key/value row (headers, parameters) the row's key names the secret; elsewhere the property does.
            var what = property == "value" && parent is JsonObject row && Json.Str(row, "key") is { } key ? key : property ?? "secret";
            var name = EnvironmentName($"HERALD_SECRET_{nickname}_{what}");
            var unique = name;
            for (var i = 2; names.Contains(unique); i++)
            {
                unique = $"{name}_{i}";
            }
            names.Add(unique);
            return "${" + unique + "}";
        });
        var exported = new JsonObject
        {
            ["nickname"] = nickname,
            ["kind"] = Json.Str(provider, "kind"),
            ["settings"] = settings,
        };
        return (exported, names);
    }

    private static string EnvironmentName(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text.ToUpperInvariant())
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }
        return MultipleUnderscores().Replace(builder.ToString(), "_").TrimEnd('_');
    }

    /// <summary>Visits every string value; a non-null answer replaces it.</summary>
    private static void Walk(JsonNode? node, Func<string, string?, JsonNode?, string?> visit)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    if (child is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        if (visit(v.GetValue<string>(), name, o) is { } replacement)
                        {
                            o[name] = replacement;
                        }
                    }
                    else
                    {
                        Walk(child, visit);
                    }
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        if (visit(v.GetValue<string>(), null, a) is { } replacement)
                        {
                            a[i] = replacement;
                        }
                    }
                    else
                    {
                        Walk(a[i], visit);
                    }
                }
                break;
        }
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Reference();

    [GeneratedRegex("_+")]
    private static partial Regex MultipleUnderscores();
}
