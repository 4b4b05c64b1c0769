using Herald.Core.Placeholders;

namespace Herald.Core.Tests.Placeholders;

public class PlaceholderValuesTests
{
    private static PlaceholderToken Token(string text) => Assert.Single(PlaceholderTemplate.Parse(text).Tokens);

    private static PlaceholderValues Values(Dictionary<string, string>? custom = null) => new()
    {
        To = "+919812345678",
        Body = "Your OTP is 1234",
        TemplateId = "1107161234567890123",
        TemplateVariables = "1234",
        CampaignId = "cmp-1",
        MessageId = "msg-1",
        Custom = custom ?? [],
    };

    [Theory]
    [InlineData("$$To", "+919812345678")]
    [InlineData("$$Body", "Your OTP is 1234")]
    [InlineData("$$TemplateId", "1107161234567890123")]
    [InlineData("$$TemplateID", "1107161234567890123")]
    [InlineData("$$TemplateVariables", "1234")]
    [InlineData("$$CampaignID", "cmp-1")]
    [InlineData("$$MessageID", "msg-1")]
    public void Resolve_SystemPlaceholder_ReturnsField(string text, string expected)
    {
        Assert.Equal(expected, Values().Resolve(Token(text)));
    }

    [Fact]
    public void Resolve_CustomByName_CaseInsensitive()
    {
        var values = Values(new() { ["sender"] = "KLRHXA" });

        Assert.Equal("KLRHXA", values.Resolve(Token("$$Sender")));
        Assert.Equal("KLRHXA", values.Resolve(Token("$$SENDER")));
    }

    [Fact]
    public void Resolve_CustomByHolderKey_CaseInsensitive()
    {
        // The Test SMS form may name the field by the parameter that holds it ("From"), not by the placeholder.
        var values = Values(new() { ["FROM"] = "KLRHXA" });

        Assert.Equal("KLRHXA", values.Resolve(Token("$$Sender"), holderKey: "from"));
    }

    [Fact]
    public void Resolve_NameAndHolderKeyBothPresent_NamePreferred()
    {
        var values = Values(new() { ["Sender"] = "BYNAME", ["from"] = "BYKEY" });

        Assert.Equal("BYNAME", values.Resolve(Token("$$Sender"), holderKey: "from"));
    }

    [Fact]
    public void Resolve_NameEmptyHolderKeyHasValue_UsesHolderKey()
    {
        var values = Values(new() { ["Sender"] = "", ["from"] = "BYKEY" });

        Assert.Equal("BYKEY", values.Resolve(Token("$$Sender"), holderKey: "from"));
    }

    [Fact]
    public void Resolve_CustomMissing_Null()
    {
        Assert.Null(Values(new() { ["other"] = "x" }).Resolve(Token("$$Sender"), holderKey: "sender"));
        Assert.Null(Values().Resolve(Token("$$TYPE")));
    }

    [Fact]
    public void Resolve_EmptyValues_Null()
    {
        var values = Values(new() { ["Sender"] = "" }) with { TemplateId = "", CampaignId = null };

        Assert.Null(values.Resolve(Token("$$Sender")));
        Assert.Null(values.Resolve(Token("$$TemplateID")));
        Assert.Null(values.Resolve(Token("$$CampaignID")));
    }

    [Fact]
    public void Resolve_NoHolderKey_DoesNotMatchByKey()
    {
        var values = Values(new() { ["sender"] = "KLRHXA" });

        Assert.Null(values.Resolve(Token("$$From")));
    }
}
