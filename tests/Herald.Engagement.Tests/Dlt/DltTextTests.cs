using Herald.Engagement.Dlt;
using Herald.Storage.Records;

namespace Herald.Engagement.Tests.Dlt;

public sealed class DltTextTests
{
    [Fact]
    public void Match_FixedPartsIdentical_AnswersTheVariables()
    {
        var text = DltText.Parse("Dear {#var#}, your OTP is {#var#}. Do not share it.");

        var values = text.Match("Dear Asha, your OTP is 123456. Do not share it.", out var difference);

        Assert.Null(difference);
        Assert.Equal(["Asha", "123456"], values);
    }

    [Theory]
    [InlineData("Dear Asha,  your OTP is 1. Do not share it.")] // two spaces
    [InlineData("dear Asha, your OTP is 1. Do not share it.")] // case
    [InlineData("Dear Asha, your OTP is 1. Do not share it")] // punctuation
    [InlineData("Dear Asha, your OTP is 1.\nDo not share it.")] // a line break for a space
    [InlineData("Dear Asha, your OTP is 1. Do not share it. ")] // trailing space
    public void Match_FixedPartsDiffer_IsNullWithWhatDiffers(string body)
    {
        var text = DltText.Parse("Dear {#var#}, your OTP is {#var#}. Do not share it.");

        Assert.Null(text.Match(body, out var difference));
        Assert.False(string.IsNullOrEmpty(difference));
    }

    [Fact]
    public void Match_VariableOver30Characters_NamesTheVariable()
    {
        var text = DltText.Parse("Hi {#var#}, code {#var#}");

        Assert.Null(text.Match($"Hi Asha, code {new string('9', 31)}", out var difference));
        Assert.Contains("variable 2 of 2 is 31 characters", difference, StringComparison.Ordinal);
        Assert.NotNull(text.Match($"Hi Asha, code {new string('9', 30)}", out _));
    }

    [Fact]
    public void Match_AdjacentSlots_SplitSoEachHoldsAtMost30()
    {
        var text = DltText.Parse("Track {#var#}{#var#} now");

        Assert.Equal(2, text.Slots);
        Assert.NotNull(text.Match($"Track {new string('x', 60)} now", out _));
        Assert.Null(text.Match($"Track {new string('x', 61)} now", out _));
    }

    [Fact]
    public void Match_RegexMetacharactersInFixedText_AreLiteral()
    {
        var text = DltText.Parse("Pay Rs.{#var#} (incl. 18% GST) at https://pay.example/?a=1&b=[2]* - {#var#}$");

        Assert.NotNull(text.Match("Pay Rs.499 (incl. 18% GST) at https://pay.example/?a=1&b=[2]* - Shop$", out _));
        Assert.Null(text.Match("Pay Rsx499 (incl. 18% GST) at https://pay.example/?a=1&b=[2]* - Shop$", out _));
        Assert.Null(text.Match("Pay Rs.499 (incl. 18% GST) at https://pay.example/?a=1&b=[2]] - Shop$", out _));
    }

    [Fact]
    public void Match_SlotsAtBothEnds_AndCrLf_AreHandled()
    {
        var text = DltText.Parse("{#var#} is your code.\r\nTeam {#var#}");

        Assert.Equal(["4321", "Shop"], text.Match("4321 is your code.\nTeam Shop", out _));
        Assert.Equal(["", "Shop"], text.Match(" is your code.\r\nTeam Shop", out _));
    }

    [Fact]
    public void Match_VarMarkerCaseInsensitive_CountsAsASlot()
    {
        Assert.Equal(1, DltText.Parse("Hello {#VAR#}!").Slots);
    }

    [Fact]
    public void AtSend_SenderNotTheHeader_IsAMismatch_ButTheOperatorSuffixIsNot()
    {
        var template = new DltTemplateRecord
        {
            TemplateId = "1107161234567890123", EntityId = "1201159876543210", Header = "SHOPIN", Category = "transactional",
            Text = "Order {#var#} shipped", CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
        };

        Assert.Null(DltCheck.AtSend(template, "Order 42 shipped", "SHOPIN-T"));
        Assert.Null(DltCheck.AtSend(template, "Order 42 shipped", "shopin"));
        Assert.Contains("OTHERS", DltCheck.AtSend(template, "Order 42 shipped", "OTHERS"), StringComparison.Ordinal);
        Assert.Contains("does not match", DltCheck.AtSend(template, "Order 42 dispatched", null), StringComparison.Ordinal);
    }
}

public sealed class DltAtSaveTests
{
    private static DltTemplateRecord Template(string text) => new()
    {
        TemplateId = "1107161234567890123", EntityId = "1201159876543210", Header = "SHOPIN", Category = "promotional",
        Text = text, CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public void AtSave_OneOutputPerSlotAndIdenticalText_IsNull()
    {
        Assert.Null(DltCheck.AtSave(Template("Hi {#var#}, {#var#}% off at Shop. T&C apply"),
            "Hi {{ contact.first_name | default: \"there\" }}, {{ event.properties.discount }}% off at Shop. T&C apply"));
    }

    [Fact]
    public void AtSave_AdjacentSlots_TakeTwoAdjacentOutputs()
    {
        var template = Template("Code {#var#}{#var#} ok");

        Assert.Null(DltCheck.AtSave(template, "Code {{ contact.a }}{{ contact.b }} ok"));
        Assert.NotNull(DltCheck.AtSave(template, "Code {{ contact.a }} {{ contact.b }} ok"));
        Assert.NotNull(DltCheck.AtSave(template, "Code {{ contact.a }} ok"));
    }

    [Theory]
    [InlineData("Hi {{ contact.first_name }},  50% off")] // spacing
    [InlineData("hi {{ contact.first_name }}, 50% off")] // case
    [InlineData("Hi {{ contact.first_name }}, 50% off!")] // punctuation
    [InlineData("Hi {{ contact.first_name }}, {{ contact.x }} off")] // an output where text is registered
    [InlineData("Hi {% if contact.vip %}VIP{% endif %}{{ contact.first_name }}, 50% off")] // a tag
    [InlineData("Hi {{- contact.first_name }}, 50% off")] // whitespace control
    public void AtSave_BodyThatCouldProduceOtherText_SaysWhatDiffers(string body)
    {
        Assert.NotNull(DltCheck.AtSave(Template("Hi {#var#}, 50% off"), body));
    }

    [Fact]
    public void AtSave_RegexMetacharacters_AreLiteral()
    {
        Assert.Null(DltCheck.AtSave(Template("Pay (Rs.{#var#}) [now]* $^"), "Pay (Rs.{{ contact.due }}) [now]* $^"));
    }
}
