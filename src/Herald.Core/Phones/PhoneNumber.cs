using PhoneNumbers;

namespace Herald.Core.Phones;

/// <summary>A recipient number, validated and normalised to E.164.</summary>
public sealed record PhoneNumber
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    private (int CountryCode, string RegionCode)? _country;

    private PhoneNumber(string e164, (int CountryCode, string RegionCode)? country)
    {
        E164 = e164;
        _country = country;
    }

    /// <summary>
    /// A number Herald stored after parsing it (E.164, as <see cref="E164"/> gave it): trusted as is, so sending does not
    /// parse it again; the country is worked out only if asked for.
    /// </summary>
    public static PhoneNumber FromStoredE164(string e164) => new(e164, null);

    /// <summary>E.164 with the leading plus, e.g. <c>+919812345678</c>.</summary>
    public string E164 { get; }

    /// <summary>Digits only, e.g. <c>919812345678</c>.</summary>
    public string Digits => E164[1..];

    /// <summary>The country calling code, e.g. 91.</summary>
    public int CountryCode => Country.CountryCode;

    /// <summary>The ISO region, e.g. IN; "ZZ" when unknown.</summary>
    public string RegionCode => Country.RegionCode;

    private (int CountryCode, string RegionCode) Country => _country ??= Lookup(E164);

    private static (int, string) Lookup(string e164)
    {
        try
        {
            var parsed = Util.Parse(e164, null);
            return (parsed.CountryCode, Util.GetRegionCodeForNumber(parsed) ?? "ZZ");
        }
        catch (NumberParseException)
        {
            return (0, "ZZ");
        }
    }

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
            phone = new PhoneNumber(e164, (parsed.CountryCode, Util.GetRegionCodeForNumber(parsed) ?? "ZZ"));
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

    /// <summary>Two numbers are the same when their E.164 forms are.</summary>
    public bool Equals(PhoneNumber? other) => other is not null && E164 == other.E164;

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(E164);

    /// <inheritdoc />
    public override string ToString() => E164;
}
