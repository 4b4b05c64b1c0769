using System.Text.RegularExpressions;
using CsCheck;
using HeraldPhone = Herald.Core.Phones.PhoneNumber;
using PhoneNumbers;

namespace Herald.Core.Tests.Properties;

/// <summary>Issue 14 §3: phone parsing never throws, and E.164 normalisation is idempotent.</summary>
public sealed partial class PhoneProperties
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>A valid mobile number of a random region, as libphonenumber's example gives it.</summary>
    private static readonly Gen<PhoneNumbers.PhoneNumber> Valid = Gen.OneOf(Util.GetSupportedRegions()
        .Select(r => Util.GetExampleNumberForType(r, PhoneNumberType.MOBILE))
        .Where(n => n is not null)
        .ToArray());

    /// <summary>How people write a number: E.164, with 00, with separators, national with the calling code given apart.</summary>
    private static readonly Gen<(string Written, string? CountryCode, string E164)> Written = Gen.Select(Valid, Gen.Int[0, 4], Gen.Char[" -.()"], (number, style, separator) =>
    {
        var e164 = Util.Format(number, PhoneNumberFormat.E164);
        var international = Util.Format(number, PhoneNumberFormat.INTERNATIONAL);
        return style switch
        {
            0 => (e164, (string?)null, e164),
            1 => ("00" + e164[1..], null, e164),
            2 => (international.Replace(' ', separator), null, e164),
            3 => (Util.GetNationalSignificantNumber(number), "+" + number.CountryCode, e164),
            _ => ("  " + e164 + "\t", null, e164),
        };
    });

    private static readonly Gen<string> Junk = Gen.Frequency(
            (5, Gen.Char["+0123456789 ()-.#*x"].Select(c => c.ToString())),
            (1, Gen.OneOf("٣", "０", "\u0000", "😀", "e", "ext", "tel:", "9999999999999999999999", "\ud800")))
        .Array[0, 30].Select(string.Concat);

    [Fact]
    public void TryParse_AnyInput_NeverThrowsAndAnswersE164OrAnError()
    {
        Gen.Select(Junk, Gen.OneOf<string?>(null, "", "+91", "1", "+999", "91", "abc", "+", "\u0000")).Sample((number, countryCode) =>
        {
            var ok = HeraldPhone.TryParse(number, countryCode, out var phone, out var error);
            var okInternational = HeraldPhone.TryParseInternational(number, out var international, out var internationalError);

            Assert.True(ok ? phone is not null && E164().IsMatch(phone.E164) : !string.IsNullOrWhiteSpace(error), $"{ok} {phone?.E164} {error}");
            Assert.True(okInternational ? E164().IsMatch(international!.E164) : !string.IsNullOrWhiteSpace(internationalError));
        }, iter: 5000);
    }

    [Fact]
    public void TryParse_ValidNumberAsPeopleWriteIt_GivesItsE164AndParsingThatAgainGivesTheSame()
    {
        Written.Sample(sample =>
        {
            Assert.True(HeraldPhone.TryParse(sample.Written, sample.CountryCode, out var phone, out var error), $"'{sample.Written}' ({sample.CountryCode}): {error}");
            Assert.Equal(sample.E164, phone!.E164);

            Assert.True(HeraldPhone.TryParse(phone.E164, null, out var again, out _));
            Assert.Equal(phone.E164, again!.E164);
            Assert.True(HeraldPhone.TryParseInternational(phone.Digits, out var digits, out _));
            Assert.Equal(phone.E164, digits!.E164);
        }, iter: 3000);
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}$")]
    private static partial Regex E164();
}
