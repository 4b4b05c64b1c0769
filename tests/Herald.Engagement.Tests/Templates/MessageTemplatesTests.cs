using Herald.Engagement.Templates;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Engagement.Tests.Templates;

public sealed class MessageTemplatesTests
{
    private readonly MessageTemplates _templates = new(new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 8, 30, 0, TimeSpan.Zero)));

    private static TemplateModel Asha(string attributes = """{"first_name":"Asha","city":"Pune","orders":3,"vip":true}""") =>
        new(new ContactModel("+919812345678", attributes) { Id = "ct_1", Country = "IN" }, new EventModel("added_to_cart", """{"product":"Kurta","value":1299}"""));

    [Fact]
    public async Task RenderAsync_ContactAttributesPhoneAndEventProperties_AreFilledIn()
    {
        var result = await _templates.RenderAsync(
            "Hi {{ contact.first_name }} from {{ contact.attributes.city }} ({{ contact.phone }}): your {{ event.properties.product }} for Rs.{{ event.properties.value }} waits. {% if contact.vip %}VIP{% endif %}",
            Asha(), TestContext.Current.CancellationToken);

        Assert.Null(result.SkipReason);
        Assert.Equal("Hi Asha from Pune (+919812345678): your Kurta for Rs.1299 waits. VIP", result.Text);
    }

    [Fact]
    public async Task RenderAsync_MissingValueWithDefault_UsesTheDefault()
    {
        var result = await _templates.RenderAsync("Hi {{ contact.first_name | default: \"there\" }}!", Asha("{}"), TestContext.Current.CancellationToken);

        Assert.Equal("Hi there!", result.Text);
    }

    [Fact]
    public async Task RenderAsync_MissingValueWithoutDefault_SkipsWithTheReason()
    {
        var result = await _templates.RenderAsync("Hi {{ contact.first_name }}, new in {{ contact.attributes.city }}", Asha("""{"first_name":"Asha"}"""), TestContext.Current.CancellationToken);

        Assert.True(result.Skipped);
        Assert.Equal("render-error: missing contact.attributes.city", result.SkipReason);
        Assert.Null(result.Text);
    }

    [Fact]
    public async Task RenderAsync_ValueHoldingLiquidMarkup_IsNeverSent()
    {
        var result = await _templates.RenderAsync("Hi {{ contact.first_name }}", Asha("""{"first_name":"{{ evil }}"}"""), TestContext.Current.CancellationToken);

        Assert.True(result.Skipped);
        Assert.DoesNotContain("{{", result.Text ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenderAsync_EndlessLoop_IsStoppedByTheStepLimit()
    {
        var result = await _templates.RenderAsync("{% for i in (1..1000000) %}{% for j in (1..1000000) %}x{% endfor %}{% endfor %}", Asha(), TestContext.Current.CancellationToken);

        Assert.True(result.Skipped);
        Assert.StartsWith("render-error:", result.SkipReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{% include 'secrets' %}")]
    [InlineData("Hi\n{% render '/etc/passwd' %}")]
    public void Check_FileTags_AreRefused(string source)
    {
        var error = _templates.Check(source);

        Assert.NotNull(error);
        Assert.Contains("not allowed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ParseError_GivesLineAndColumn()
    {
        var error = _templates.Check("Hello\nthere {{ contact.first_name ");

        Assert.NotNull(error);
        Assert.Equal(2, error.Line);
        Assert.True(error.Column > 1, $"column {error.Column}: {error.Message}");
    }

    [Fact]
    public void Check_ValidTemplate_IsNull()
    {
        Assert.Null(_templates.Check("Hi {{ contact.first_name | default: \"there\" }}, {% if contact.vip %}thanks{% else %}welcome{% endif %}"));
    }
}
