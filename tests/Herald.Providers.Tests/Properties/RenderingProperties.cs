using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Herald.Providers.GenericHttp;
using Herald.Providers.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Herald.Providers.Tests.Properties;

/// <summary>Issue 14 §3: whatever a placeholder's value holds, the request a generic provider gets carries it exactly (JSON, form, query).</summary>
public sealed class RenderingProperties
{
    /// <summary>Any valid text: quotes, backslashes, reserved URL and form characters, control characters, non-ASCII, emoji, "$$" placeholders.</summary>
    private static readonly Gen<string> Values = Gen.Frequency(
            (6, Gen.Char[" az09\"\\/&=+%#?{}[]:,<>'\n\r\t\u0000\u001b"].Select(c => c.ToString())),
            (2, Gen.OneOf("नमस्ते", "€", "😀", "ü", "\u2028", "$$To", "$$Body", "%20", "&amp;", "\\u0041")))
        .Array[0, 30].Select(string.Concat);

    private static readonly Lazy<GenericRequestTemplate> JsonTemplate = new(() => Template(Generic.Json("https://provider.example/sms",
        """{"to":"$$To","text":"$$Body","ref":"$$MessageID","from":"$$Sender","prefixed":"Hi $$Sender!"}""")));

    private static readonly Lazy<GenericRequestTemplate> FormTemplate = new(() =>
    {
        var settings = Generic.Form("https://provider.example/sms?x=1");
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = "from", ["value"] = "$$Sender" });
        return Template(settings);
    });

    private static readonly Lazy<GenericRequestTemplate> QueryTemplate = new(() =>
    {
        var settings = Generic.Form("https://provider.example/sms", requestType: "GET");
        settings["parameters"]!.AsArray().Add(new JsonObject { ["key"] = "from", ["value"] = "$$Sender" });
        return Template(settings);
    });

    [Fact]
    public void Build_JsonTemplate_AnyValueArrivesAsTheSameJsonString()
    {
        Gen.Select(Values, Senders).Sample((body, sender) =>
        {
            using var request = JsonTemplate.Value.Build(Message(body, sender), new List<string>());
            var json = JsonNode.Parse(Read(request))!;

            Assert.Equal(body, json["text"]!.GetValue<string>());
            Assert.Equal(sender, json["from"]!.GetValue<string>());
            Assert.Equal($"Hi {sender}!", json["prefixed"]!.GetValue<string>());
            Assert.Equal("+919812345678", json["to"]!.GetValue<string>());
        }, iter: 2000);
    }

    [Fact]
    public void Build_FormAndQuery_AnyValueArrivesAsTheSameField()
    {
        Gen.Select(Values, Senders).Sample((body, sender) =>
        {
            using var post = FormTemplate.Value.Build(Message(body, sender), new List<string>());
            var form = QueryHelpers.ParseQuery(Read(post));
            using var get = QueryTemplate.Value.Build(Message(body, sender), new List<string>());
            var query = QueryHelpers.ParseQuery(get.RequestUri!.Query);

            foreach (var fields in new[] { form, query })
            {
                Assert.Equal(body, fields["text"].ToString());
                Assert.Equal(sender, fields["from"].ToString());
                Assert.Equal("+919812345678", fields["to"].ToString());
            }
        }, iter: 2000);
    }

    private static GenericRequestTemplate Template(JsonObject settings) => new((GenericHttpSettings)Generic.Read(Generic.Valid(settings)));

    private static Herald.Core.Providers.OutboundMessage Message(string body, string sender) =>
        Generic.Message(body: body, dynamicFields: new Dictionary<string, string> { ["Sender"] = sender });

    /// <summary>A custom placeholder needs a value (an empty one is a refusal that names it), so senders are never empty.</summary>
    private static readonly Gen<string> Senders = Values.Select(v => "S" + v);

    private static string Read(HttpRequestMessage request)
    {
        using var reader = new StreamReader(request.Content!.ReadAsStream(TestContext.Current.CancellationToken));
        return reader.ReadToEnd();
    }
}
