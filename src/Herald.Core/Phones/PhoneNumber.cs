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

    /// <summary>
    /// The first IANA time zone libphonenumber gives for the number (by its prefix, which for most countries is the country's
    /// zone), or null when it knows none (e.g. a number that is possible but not valid).
    /// </summary>
    public string? DefaultTimeZone()
    {
        try
        {
            var mapper = PhoneNumberToTimeZonesMapper.GetInstance();
            var zones = mapper.GetTimeZonesForNumber(Util.Parse(E164, null));
            return zones.Count > 0 && zones[0] != mapper.GetUnknownTimeZone() ? zones[0] : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>Formats for a provider: <c>e164</c> (default) or <c>digits</c>.</summary>
    public string Format(string? toFormat) =>
        string.Equals(toFormat, "digits", StringComparison.OrdinalIgnoreCase) ? Digits : E164;

    /// <summary>
    /// Parses a number written in E.164 (<c>+91 98123 45678</c>), with the international prefix <c>00</c>
    /// (<c>0091 98123 45678</c>), or, with a country code (<c>+91</c> or <c>91</c>), as a national number.
    /// A number with neither <c>+</c>, <c>00</c> nor a country code is refused: its first digits would
    /// otherwise be read as a country code (<c>9812345678</c> is an Iranian number, not an Indian one).
    /// The error is one sentence that says what to write instead.
    /// </summary>
    /// <param name="number">The number as a person or a system wrote it.</param>
    /// <param name="countryCode">The calling code of a national number (the request's, else a configured default), or null.</param>
    /// <param name="phone">The number in E.164, when it parses.</param>
    /// <param name="error">Why it does not, when it does not.</param>
    public static bool TryParse(string? number, string? countryCode, out PhoneNumber? phone, out string? error) =>
        TryParse(number, countryCode, digitsAreInternational: false, out phone, out error);

    /// <summary>
    /// Parses a number whose digits always include the country code, with or without <c>+</c> or <c>00</c>
    /// (<c>919812345678</c>): the convention of Kaleyra's <c>to</c> field, which the connector takes.
    /// </summary>
    public static bool TryParseInternational(string? number, out PhoneNumber? phone, out string? error) =>
        TryParse(number, null, digitsAreInternational: true, out phone, out error);

    /// <summary>Whether <paramref name="countryCode"/> is a calling code such as <c>+91</c> or <c>1</c>.</summary>
    public static bool IsCountryCode(string? countryCode) => RegionFor(countryCode) is not null;

    private static string? RegionFor(string? countryCode)
    {
        var cc = (countryCode ?? "").Trim().TrimStart('+');
        if (cc.Length is 0 or > 3 || !cc.All(char.IsAsciiDigit) || !int.TryParse(cc, out var code))
        {
            return null;
        }
        return Util.GetRegionCodeForCountryCode(code) is { } region and not "ZZ" ? region : null;
    }

    private static bool TryParse(string? number, string? countryCode, bool digitsAreInternational, out PhoneNumber? phone, out string? error)
    {
        phone = null;
        if (string.IsNullOrWhiteSpace(number))
        {
            error = "A phone number is required.";
            return false;
        }
        var text = number.Trim();
        var international = text.StartsWith('+');
        if (!international && text.StartsWith("00", StringComparison.Ordinal))
        {
            // 00 is the international prefix in most of the world: 0091 98123 45678 is +91 98123 45678.
            text = "+" + text[2..].TrimStart();
            international = true;
        }
        string? region = null;
        var hasCountryCode = !string.IsNullOrWhiteSpace(countryCode);
        if (!international && hasCountryCode)
        {
            region = RegionFor(countryCode);
            if (region is null)
            {
                error = $"Country code '{countryCode}' is not a calling code such as +91 or +1.";
                return false;
            }
        }
        else if (!international && digitsAreInternational)
        {
            text = "+" + text;
        }
        else if (!international)
        {
            error = NoCountryCode(number, text);
            return false;
        }
        try
        {
            var parsed = Util.Parse(text, region);
            if (!Util.IsPossibleNumber(parsed))
            {
                error = $"'{number}' is not a possible phone number{(region is null ? "" : $" for country code {countryCode!.Trim()}")}: check the number of digits.";
                return false;
            }
            var e164 = Util.Format(parsed, PhoneNumberFormat.E164);
            if (!IsE164(e164))
            {
                // Junk that libphonenumber still reads as possible (e.g. a stray calling code and letters) can format to
                // something that is no E.164 number: refused rather than stored.
                error = $"'{number}' is not a phone number: write it in E.164 with + and the country code, e.g. +919812345678.";
                return false;
            }
            phone = new PhoneNumber(e164, (parsed.CountryCode, Util.GetRegionCodeForNumber(parsed) ?? "ZZ"));
            error = null;
            return true;
        }
        catch (NumberParseException)
        {
            error = $"'{number}' is not a phone number: write it in E.164 with + and the country code, e.g. +919812345678.";
            return false;
        }
    }

    /// <summary>+, a first digit 1-9, at most 15 ASCII digits in all.</summary>
    private static bool IsE164(string text) =>
        text.Length is >= 3 and <= 16 && text[0] == '+' && text[1] is >= '1' and <= '9' && text.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;

    private static string NoCountryCode(string number, string text)
    {
        var digits = new string(text.Where(char.IsAsciiDigit).ToArray());
        if (digits.Length == 0)
        {
            return $"'{number}' is not a phone number: write it in E.164 with + and the country code, e.g. +919812345678.";
        }
        // Show the E.164 form the number most likely means: its own digits when they already start with a country code.
        string example;
        try
        {
            var asInternational = Util.Parse("+" + digits, null);
            example = Util.IsValidNumber(asInternational)
                ? $"+{digits} if {asInternational.CountryCode} is its country code"
                : $"+91{digits.TrimStart('0')} for an Indian number";
        }
        catch (NumberParseException)
        {
            example = $"+91{digits.TrimStart('0')} for an Indian number";
        }
        return $"'{number}' has no country code: write it in E.164, e.g. {example}, or give a countryCode (a default for every request: Herald:DefaultCountry).";
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
