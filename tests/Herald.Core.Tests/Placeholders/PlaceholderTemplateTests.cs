using Herald.Core.Placeholders;

namespace Herald.Core.Tests.Placeholders;

public class PlaceholderTemplateTests
{
    [Fact]
    public void Parse_To_SystemTokenWithPosition()
    {
        var template = PlaceholderTemplate.Parse("$$To");

        var token = Assert.Single(template.Tokens);
        Assert.Equal("To", token.Name);
        Assert.Equal(0, token.Index);
        Assert.Equal(4, token.Length);
        Assert.Equal(SystemPlaceholder.To, token.System);
        Assert.False(token.IsCustom);
        Assert.Equal("$$To", token.ToString());
    }

    [Theory]
    [InlineData("$$TemplateId", "TemplateId")]
    [InlineData("$$TemplateID", "TemplateID")]
    [InlineData("$$templateid", "templateid")]
    public void Parse_TemplateIdSpellings_AllSystemTemplateId(string text, string name)
    {
        var token = Assert.Single(PlaceholderTemplate.Parse(text).Tokens);

        Assert.Equal(name, token.Name);
        Assert.Equal(SystemPlaceholder.TemplateId, token.System);
    }

    [Theory]
    [InlineData("To", SystemPlaceholder.To)]
    [InlineData("Body", SystemPlaceholder.Body)]
    [InlineData("TemplateID", SystemPlaceholder.TemplateId)]
    [InlineData("TemplateVariables", SystemPlaceholder.TemplateVariables)]
    [InlineData("CampaignID", SystemPlaceholder.CampaignId)]
    [InlineData("MessageID", SystemPlaceholder.MessageId)]
    [InlineData("MESSAGEID", SystemPlaceholder.MessageId)]
    [InlineData("messageId", SystemPlaceholder.MessageId)]
    public void ToSystem_SystemName_CaseInsensitive(string name, SystemPlaceholder expected)
    {
        Assert.Equal(expected, PlaceholderTemplate.ToSystem(name));
    }

    [Theory]
    [InlineData("Sender")]
    [InlineData("TYPE")]
    [InlineData("LongURL")]
    public void Parse_CustomPlaceholder_IsCustom(string name)
    {
        var token = Assert.Single(PlaceholderTemplate.Parse("$$" + name).Tokens);

        Assert.Equal(name, token.Name);
        Assert.Null(token.System);
        Assert.True(token.IsCustom);
    }

    [Fact]
    public void Parse_AdjacentText_TokenStopsAtPunctuation()
    {
        var template = PlaceholderTemplate.Parse("+$$To,");

        var token = Assert.Single(template.Tokens);
        Assert.Equal("To", token.Name);
        Assert.Equal(1, token.Index);
        Assert.Equal(4, token.Length);
        Assert.Null(template.SolePlaceholder);
    }

    [Fact]
    public void Parse_SeveralPlaceholders_AllInOrder()
    {
        var template = PlaceholderTemplate.Parse("""{"to":"$$To","text":"$$Body","sender":"$$Sender","ref":"$$MessageID"}""");

        Assert.Equal(["To", "Body", "Sender", "MessageID"], template.Tokens.Select(t => t.Name));
        Assert.Equal(
            [SystemPlaceholder.To, SystemPlaceholder.Body, null, SystemPlaceholder.MessageId],
            template.Tokens.Select(t => t.System));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain text")]
    [InlineData("costs $5")]
    [InlineData("$$")]
    [InlineData("$$1abc")]
    public void Parse_NoPlaceholders_EmptyTokensAndRendersAsIs(string text)
    {
        var template = PlaceholderTemplate.Parse(text);

        Assert.Empty(template.Tokens);
        Assert.Null(template.SolePlaceholder);
        Assert.Equal(text, template.Render(_ => throw new InvalidOperationException("no placeholders")));
    }

    [Fact]
    public void Parse_Null_EmptyTemplate()
    {
        var template = PlaceholderTemplate.Parse(null);

        Assert.Equal("", template.Text);
        Assert.Empty(template.Tokens);
    }

    [Theory]
    [InlineData("$$Sender")]
    [InlineData("  $$Sender ")]
    [InlineData("\t$$Sender\n")]
    public void SolePlaceholder_OnlyPlaceholderWithWhitespace_ReturnsIt(string text)
    {
        var sole = PlaceholderTemplate.Parse(text).SolePlaceholder;

        Assert.NotNull(sole);
        Assert.Equal("Sender", sole.Name);
    }

    [Theory]
    [InlineData("x$$Sender")]
    [InlineData("$$Sender!")]
    [InlineData("$$Sender $$TYPE")]
    [InlineData("$$Sender$$TYPE")]
    public void SolePlaceholder_OtherContent_Null(string text)
    {
        Assert.Null(PlaceholderTemplate.Parse(text).SolePlaceholder);
    }

    [Theory]
    [InlineData("TemplateID", true)]
    [InlineData("TemplateId", true)]
    [InlineData("CampaignID", true)]
    [InlineData("TemplateVariables", true)]
    [InlineData("LongURL", true)]
    [InlineData("longurl", true)]
    [InlineData("Sender", false)]
    [InlineData("TYPE", false)]
    [InlineData("To", false)]
    [InlineData("Body", false)]
    [InlineData("MessageID", false)]
    public void IsOptional_Placeholder_OnlyOptionalOnes(string name, bool optional)
    {
        var token = Assert.Single(PlaceholderTemplate.Parse("$$" + name).Tokens);

        Assert.Equal(optional, token.IsOptional);
    }

    [Fact]
    public void Render_WithEscaping_ReplacesEveryTokenKeepsText()
    {
        var template = PlaceholderTemplate.Parse("to=+$$To&text=$$Body&sender=$$Sender");
        var values = new Dictionary<string, string> { ["To"] = "919812345678", ["Body"] = "Hi & bye", ["Sender"] = "KLRHXA" };

        var rendered = template.Render(token => Uri.EscapeDataString(values[token.Name]));

        Assert.Equal("to=+919812345678&text=Hi%20%26%20bye&sender=KLRHXA", rendered);
    }

    [Fact]
    public void Render_AdjacentPlaceholders_BothReplaced()
    {
        var template = PlaceholderTemplate.Parse("$$Sender$$TYPE");

        Assert.Equal(2, template.Tokens.Count);
        Assert.Equal("[Sender][TYPE]", template.Render(t => $"[{t.Name}]"));
    }

    [Fact]
    public void Render_ValueContainsPlaceholderSyntax_NotExpandedAgain()
    {
        var template = PlaceholderTemplate.Parse("$$Body");

        Assert.Equal("$$To", template.Render(_ => "$$To"));
    }

    [Fact]
    public void Render_JsonEscaping_ProducesValidJson()
    {
        var template = PlaceholderTemplate.Parse("""{"text":"$$Body"}""");

        var rendered = template.Render(_ => System.Text.Json.JsonEncodedText.Encode("say \"hi\"\n").ToString());

        using var document = System.Text.Json.JsonDocument.Parse(rendered);
        Assert.Equal("say \"hi\"\n", document.RootElement.GetProperty("text").GetString());
    }
}
