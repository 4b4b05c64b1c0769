using PhoneNumbers;

namespace Herald.Core.Phones;

/// <summary>A recipient number, validated and normalised to E.164.</summary>
public sealed record PhoneNumber
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    private PhoneNumber(string e164, int countryCode, string regionCode)
    {
        E164 = e164;
        CountryCode = countryCode;
        RegionCode = regionCode;
    }

    /// <summary>E.164 with the leading plus, e.g. <c>+919812345678</c>.</summary>
    public string E164 { get; }

    /// <summary>Digits only, e.g. <c>919812345678</c>.</summary>
    public string Digits => E164[1..];

    /// <summary>The country calling code, e.g. 91.</summary>
    public int CountryCode { get; }

    /// <summary>The ISO region, e.g. IN; "ZZ" when unknown.</summary>
    public string RegionCode { get; }

    /// <summary>Formats for a provider: <c>e164</c> (default) or <c>digits</c>.</summary>
    public string Format(string? toFormat) =>
        string.Equals(toFormat, "digits", StringComparison.OrdinalIgnoreCase) ? Digits : E164;

    /// <summary>
    /// Parses a number written in E.164 (<c>+91 98123 45678</c>) or, with a country code
    /// (<c>+91</c> or <c>91</c>), a national number. The error says what to fix.
    /// </summary>
    public static bool TryParse(string? number, string? countryCode, out PhoneNumber? phone, out string? error)
    {
        phone = null;
        if (string.IsNullOrWhiteSpace(number))
        {
            error = "A phone number is required.";
            return false;
        }
        var text = number.Trim();
        string? region = null;
        if (!string.IsNullOrWhiteSpace(countryCode) && !text.StartsWith('+'))
        {
            var cc = countryCode.Trim().TrimStart('+');
            if (!int.TryParse(cc, out var code) || cc.Length > 3 || Util.GetRegionCodeForCountryCode(code) is null or "ZZ")
            {
                error = $"Country code '{countryCode}' is not a calling code such as +91 or +1.";
                return false;
            }
            region = Util.GetRegionCodeForCountryCode(code);
        }
        else if (!text.StartsWith('+'))
        {
            text = "+" + text;
        }
        try
        {
            var parsed = Util.Parse(text, region);
            if (!Util.IsPossibleNumber(parsed))
            {
                error = $"'{number}' is not a possible phone number{(region is null ? "" : $" for country code {countryCode}")}: check the number of digits.";
                return false;
            }
            var e164 = Util.Format(parsed, PhoneNumberFormat.E164);
            phone = new PhoneNumber(e164, parsed.CountryCode, Util.GetRegionCodeForNumber(parsed) ?? "ZZ");
            error = null;
            return true;
        }
        catch (NumberParseException ex)
        {
            error = $"'{number}' is not a phone number ({ex.Message}). Write it in E.164, e.g. +919812345678.";
            return false;
        }
    }

    /// <summary>Parses or throws <see cref="FormatException"/> with the reason.</summary>
    public static PhoneNumber Parse(string number, string? countryCode = null) =>
        TryParse(number, countryCode, out var phone, out var error) ? phone! : throw new FormatException(error);

    /// <inheritdoc />
    public override string ToString() => E164;
}
