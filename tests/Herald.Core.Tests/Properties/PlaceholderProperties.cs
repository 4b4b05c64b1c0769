using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Herald.Core.Placeholders;

namespace Herald.Core.Tests.Properties;

/// <summary>Issue 14 §3: <c>$$Name</c> parsing and rendering over generated templates.</summary>
public sealed class PlaceholderProperties
{
    private static readonly Gen<string> Names = Gen.Frequency(
        (3, Gen.OneOf("To", "Body", "TemplateID", "TemplateId", "TEMPLATEVARIABLES", "CampaignID", "MessageID", "messageid", "CallbackURL", "Sender", "TYPE", "LongURL")),
        (2, Gen.Select(Gen.Char["abcXYZ"], Gen.Char["abcXYZ019_"].Array[0, 8], (first, rest) => first + new string(rest))));

    /// <summary>Text with placeholders, lone and doubled dollars, "$$" before digits and spaces, and non-ASCII.</summary>
    public static readonly Gen<string> Templates = Gen.Frequency(
            (4, Gen.String[Gen.Char[" az{}\"'&=+%:,.\n\\"], 0, 6]),
            (3, Names.Select(n => "$$" + n)),
            (1, Gen.OneOf("$", "$$", "$$$", "$$1", "$$ x", "$$_a", "€", "😀", "\u0000")))
        .Array[0, 12].Select(string.Concat);

    [Fact]
    public void Render_EachPlaceholderAsWritten_GivesTheTemplateBack()
    {
        Templates.Sample(text => Assert.Equal(text, PlaceholderTemplate.Parse(text).Render(t => "$$" + t.Name)), iter: 3000);
    }

    [Fact]
    public void Parse_AnyTemplate_TokensAreWhereTheyClaimInOrderAndTyped()
    {
        Templates.Sample(text =>
        {
            var template = PlaceholderTemplate.Parse(text);
            var end = 0;
            foreach (var token in template.Tokens)
            {
                Assert.True(token.Index >= end, "tokens overlap or are out of order");
                Assert.Equal("$$" + token.Name, text.Substring(token.Index, token.Length));
                Assert.Equal(PlaceholderTemplate.ToSystem(token.Name), token.System);
                end = token.Index + token.Length;
            }
            Assert.Equal(Regex.Count(text, @"\$\$[A-Za-z]"), template.Tokens.Count);
        }, iter: 3000);
    }

    [Fact]
    public void Render_ValuesContainingPlaceholders_AreNotExpandedAgain()
    {
        Gen.Select(Templates, Templates).Sample((text, value) =>
        {
            var template = PlaceholderTemplate.Parse(text);

            var rendered = template.Render(_ => value);

            var expected = new StringBuilder();
            var position = 0;
            foreach (var token in template.Tokens)
            {
                expected.Append(text, position, token.Index - position).Append(value);
                position = token.Index + token.Length;
            }
            Assert.Equal(expected.Append(text[position..]).ToString(), rendered);
        }, iter: 2000);
    }
}
