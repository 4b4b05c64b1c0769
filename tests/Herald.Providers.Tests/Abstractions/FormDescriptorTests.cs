using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.Providers.Abstractions;
using Herald.Providers.GenericHttp;
using Herald.Providers.Kaleyra;
using Herald.Providers.Tests.Infrastructure;
using Herald.Providers.Tests.Kaleyra;
using Herald.Providers.Tests.Twilio;
using Herald.Providers.Twilio;

namespace Herald.Providers.Tests.Abstractions;

/// <summary>Every kind's dashboard form writes to settings that exist: a renamed setting cannot leave a form field behind.</summary>
public class FormDescriptorTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    public static TheoryData<string, Type> Kinds => new()
    {
        { "generic", typeof(GenericHttpSettings) },
        { "kaleyra", typeof(KaleyraSettings) },
        { "twilio", typeof(TwilioSettings) },
    };

    private static IProviderKind Kind(string name) => name switch
    {
        "generic" => Generic.Kind,
        "twilio" => TwilioFixture.Kind,
        _ => KaleyraFixture.Kind,
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Form_EveryFieldRowsAndPresetPath_NamesASetting(string kind, Type settings)
    {
        var form = Kind(kind).Form;
        var paths = Walk(form.Elements).Select(e => e switch { FormField f => f.Path, FormRows r => r.Path, _ => null }).OfType<string>().ToList();

        Assert.NotEmpty(paths);
        Assert.All(paths, path => Assert.True(Exists(settings, path), $"{kind}: the form writes '{path}', which {settings.Name} does not have."));
        Assert.All(form.Presets.SelectMany(p => p.Values.Keys.Concat(p.Rows.Keys)), path => Assert.Contains(path, paths));
        Assert.All(Walk(form.Elements).Select(e => e.When).OfType<FormCondition>(), when => Assert.Contains(when.Path, paths));
        if (form.HostPath is not null)
        {
            Assert.Contains(form.HostPath, paths);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Form_InputIds_AreUnique(string kind, Type settings)
    {
        _ = settings;
        var ids = Walk(Kind(kind).Form.Elements).Select(e => e switch { FormField f => f.Id, FormRows r => r.Id, _ => null }).OfType<string>().ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    private static bool Exists(Type type, string path)
    {
        foreach (var part in path.Split('.'))
        {
            var property = Web.GetTypeInfo(type).Properties.FirstOrDefault(p => p.Name == part);
            if (property is null)
            {
                return false;
            }
            type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        }
        return true;
    }

    private static IEnumerable<FormElement> Walk(IEnumerable<FormElement> elements)
    {
        foreach (var element in elements)
        {
            yield return element;
            var children = element switch
            {
                FormGroup group => group.Children,
                FormField { Companion: { } companion } => [companion],
                _ => [],
            };
            foreach (var child in Walk(children))
            {
                yield return child;
            }
        }
    }
}
