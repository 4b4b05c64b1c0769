using Herald.Core.Phones;

namespace Herald.Core.Tests.Phones;

public class PhoneNumberTests
{
    [Theory]
    [InlineData("+919812345678")]
    [InlineData("+91 98123 45678")]
    [InlineData("  +91 98123-45678  ")]
    [InlineData("+91 (98123) 45678")]
    public void Parse_E164WithFormatting_Normalised(string input)
    {
        var phone = PhoneNumber.Parse(input);

        Assert.Equal("+919812345678", phone.E164);
        Assert.Equal("919812345678", phone.Digits);
        Assert.Equal(91, phone.CountryCode);
        Assert.Equal("IN", phone.RegionCode);
    }

    [Theory]
    [InlineData("+91")]
    [InlineData("91")]
    [InlineData(" +91 ")]
    public void TryParse_CountryCodeAndNationalNumber_CombinedToE164(string countryCode)
    {
        Assert.True(PhoneNumber.TryParse("9812345678", countryCode, out var phone, out var error));

        Assert.Null(error);
        Assert.Equal("+919812345678", phone!.E164);
    }

    [Theory]
    [InlineData("9812345678", "+919812345678 for an Indian number")]
    [InlineData("919812345678", "+919812345678 if 91 is its country code")]
    [InlineData("098123 45678", "+919812345678 for an Indian number")]
    public void TryParse_NoPlusNoCountryCode_RefusedWithE164Example(string number, string example)
    {
        Assert.False(PhoneNumber.TryParse(number, null, out var phone, out var error));

        Assert.Null(phone);
        Assert.Equal($"'{number}' has no country code: write it in E.164, e.g. {example}, or give a countryCode (a default for every request: Herald:DefaultCountry).", error);
    }

    [Theory]
    [InlineData("00919812345678")]
    [InlineData("0091 98123 45678")]
    [InlineData("00 91 98123 45678")]
    public void TryParse_DoubleZeroPrefix_International(string number)
    {
        Assert.True(PhoneNumber.TryParse(number, null, out var phone, out var error));

        Assert.Null(error);
        Assert.Equal("+919812345678", phone!.E164);
    }

    [Fact]
    public void TryParse_DoubleZeroPrefixWithCountryCode_PrefixWins()
    {
        Assert.Equal("+14155552671", PhoneNumber.Parse("0014155552671", "+91").E164);
    }

    [Theory]
    [InlineData("919812345678")]
    [InlineData("+919812345678")]
    [InlineData("00919812345678")]
    public void TryParseInternational_DigitsWithCountryCode_E164(string number)
    {
        Assert.True(PhoneNumber.TryParseInternational(number, out var phone, out _));

        Assert.Equal("+919812345678", phone!.E164);
    }

    [Theory]
    [InlineData("+91", true)]
    [InlineData("1", true)]
    [InlineData("IN", false)]
    [InlineData("+999", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsCountryCode_Text_WhetherCallingCode(string? text, bool expected)
    {
        Assert.Equal(expected, PhoneNumber.IsCountryCode(text));
    }

    [Fact]
    public void TryParse_NotANumber_OneSentence()
    {
        Assert.False(PhoneNumber.TryParse("00abc", null, out _, out var error));

        Assert.Equal("'00abc' is not a phone number: write it in E.164 with + and the country code, e.g. +919812345678.", error);
    }

    [Fact]
    public void Parse_NationalTrunkZero_Dropped()
    {
        var phone = PhoneNumber.Parse("07400123456", "+44");

        Assert.Equal("+447400123456", phone.E164);
        Assert.Equal("GB", phone.RegionCode);
    }

    [Fact]
    public void Parse_CountryCodeRepeatedInNumber_NotDoubled()
    {
        Assert.Equal("+919812345678", PhoneNumber.Parse("919812345678", "+91").E164);
    }

    [Fact]
    public void Parse_NumberWithPlusAndCountryCode_NumberWins()
    {
        Assert.Equal("+14155552671", PhoneNumber.Parse("+1 415 555 2671", "+91").E164);
    }

    [Theory]
    [InlineData("12345", "+91")]
    [InlineData("98123456789012345", "+91")]
    public void TryParse_ImpossibleNumber_ErrorMentionsNumber(string number, string countryCode)
    {
        Assert.False(PhoneNumber.TryParse(number, countryCode, out var phone, out var error));

        Assert.Null(phone);
        Assert.NotNull(error);
        Assert.Contains($"'{number}'", error, StringComparison.Ordinal);
        Assert.Contains("+91", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_ImpossibleE164_ErrorDoesNotBlameIgnoredCountryCode()
    {
        Assert.False(PhoneNumber.TryParse("+9112", "+44", out _, out var error));

        Assert.Contains("'+9112'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("+44", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("+")]
    public void TryParse_NotANumber_ErrorMentionsNumberAndE164(string number)
    {
        Assert.False(PhoneNumber.TryParse(number, null, out _, out var error));

        Assert.Contains($"'{number}'", error, StringComparison.Ordinal);
        Assert.Contains("E.164", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("+999")]
    [InlineData("0")]
    [InlineData("+12345")]
    [InlineData("IN")]
    [InlineData("+-1")]
    public void TryParse_BadCountryCode_ErrorNamesIt(string countryCode)
    {
        Assert.False(PhoneNumber.TryParse("9812345678", countryCode, out var phone, out var error));

        Assert.Null(phone);
        Assert.Contains($"Country code '{countryCode}'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void TryParse_Missing_Required(string? number)
    {
        Assert.False(PhoneNumber.TryParse(number, "+91", out _, out var error));

        Assert.Equal("A phone number is required.", error);
    }

    [Fact]
    public void Parse_Invalid_ThrowsFormatExceptionWithReason()
    {
        var ex = Assert.Throws<FormatException>(() => PhoneNumber.Parse("12345", "+91"));

        Assert.Contains("'12345'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("digits", "919812345678")]
    [InlineData("DIGITS", "919812345678")]
    [InlineData("e164", "+919812345678")]
    [InlineData(null, "+919812345678")]
    [InlineData("", "+919812345678")]
    public void Format_ToFormat_DigitsOrE164(string? toFormat, string expected)
    {
        Assert.Equal(expected, PhoneNumber.Parse("+919812345678").Format(toFormat));
    }

    [Fact]
    public void Equals_SameNumberDifferentSpelling_Equal()
    {
        Assert.Equal(PhoneNumber.Parse("+91 98123 45678"), PhoneNumber.Parse("9812345678", "+91"));
        Assert.Equal("+919812345678", PhoneNumber.Parse("9812345678", "91").ToString());
    }
}
