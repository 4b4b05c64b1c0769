using System.Text.Json.Nodes;
using Herald.Dispatch.Intake;
using Herald.Engagement.Contacts;
using Herald.Engagement.Imports;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Engagement.Tests.Contacts;

/// <summary>The rules every way in (API, CSV import, identify) applies to a contact, and how CSV cells and columns are read.</summary>
public sealed class ContactRulesTests
{
    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 1, 31, 10, 0, 0, TimeSpan.Zero));

    private static ContactRules Rules(string? defaultCountry = null) => new(Options.Create(new IntakeOptions { DefaultCountry = defaultCountry }), Time);

    [Fact]
    public void Check_IndianNumber_GetsE164CountryAndLibphonenumbersZone()
    {
        var errors = new Dictionary<string, string>();

        var change = Rules("+91").Check(new ContactInput { Phone = "098123 45678", Consent = new JsonObject { ["promotional"] = true } }, "import", errors);

        Assert.Empty(errors);
        Assert.Equal("+919812345678", change!.Phone);
        Assert.Equal("IN", change.Country);
        Assert.Equal("Asia/Calcutta", change.DefaultTimezone);
        Assert.Null(change.Timezone);
        var consent = Assert.Single(change.Consents);
        Assert.Equal(("promotional", true, "import", Time.GetUtcNow()), (consent.Category, consent.Granted, consent.Source, consent.At));
    }

    [Theory]
    [InlineData("+12125550123", "America/New_York")]
    [InlineData("+13105550123", "America/Los_Angeles")]
    [InlineData("+442071234567", "Europe/London")]
    public void Check_NumbersOfOneCountryInSeveralZones_GetTheZoneOfTheirAreaCode(string phone, string zone)
    {
        var rules = Rules();
        Assert.Equal(zone, rules.Check(new ContactInput { Phone = phone }, "api", new Dictionary<string, string>())!.DefaultTimezone);
        // Asked again (from the prefix cache): the same answer.
        Assert.Equal(zone, rules.Check(new ContactInput { Phone = phone }, "api", new Dictionary<string, string>())!.DefaultTimezone);
    }

    [Fact]
    public void Check_BadFields_NamesEachFieldAndWhatToWrite()
    {
        var errors = new Dictionary<string, string>();

        var change = Rules().Check(new ContactInput
        {
            Phone = "9812345678",
            Timezone = "Eastern Standard Time",
            Attributes = new JsonObject { ["tags"] = new JsonArray("a"), ["ok"] = 1 },
            Consent = new JsonObject { ["sms"] = true, ["service"] = new JsonObject { ["granted"] = true, ["at"] = "yesterday" } },
        }, "api", errors);

        Assert.Null(change);
        Assert.Contains("country code", errors["phone"], StringComparison.Ordinal);
        Assert.Contains("IANA", errors["timezone"], StringComparison.Ordinal);
        Assert.Contains("a list", errors["attributes.tags"], StringComparison.Ordinal);
        Assert.Contains("not a consent category", errors["consent.sms"], StringComparison.Ordinal);
        Assert.Contains("ISO 8601", errors["consent.service"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("42", "42")]
    [InlineData("-3.5", "-3.5")]
    [InlineData("TRUE", "true")]
    [InlineData("01234", "\"01234\"")]
    [InlineData("+919812345678", "\"+919812345678\"")]
    [InlineData("2024-05-01", "\"2024-05-01\"")]
    [InlineData("1.2.3", "\"1.2.3\"")]
    [InlineData("0.5", "0.5")]
    public void Value_CsvCell_IsNumberBooleanOrText(string cell, string json) =>
        Assert.Equal(json, ImportColumns.Value(cell).ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    [Fact]
    public void Plan_HeaderAndMapping_FillsTargetsAndRefusesWithoutPhone()
    {
        var columns = ImportColumns.Plan(["Mobile", "Name", "external_id", "Consent.Promotional", "Notes"],
            new Dictionary<string, string> { ["Mobile"] = "phone", ["Notes"] = "ignore" }, out var error);

        Assert.Null(error);
        var input = columns!.Read(["+919812345678", "Asha", "u-1", "no", "n/a"], out var rowError);
        Assert.Null(rowError);
        Assert.Equal(("+919812345678", "u-1"), (input!.Phone, input.ExternalId));
        Assert.Equal("""{"Name":"Asha"}""", input.Attributes!.ToJsonString());
        Assert.Equal("""{"promotional":false}""", input.Consent!.ToJsonString());
        Assert.Null(columns.Read(["+919812345678", "", "", "perhaps", ""], out rowError));
        Assert.Contains("perhaps", rowError, StringComparison.Ordinal);

        Assert.Null(ImportColumns.Plan(["mobile", "name"], null, out error));
        Assert.Contains("phone", error, StringComparison.Ordinal);
        Assert.Null(ImportColumns.Plan(["phone", "Phone"], null, out error));
        Assert.Contains("Two columns", error, StringComparison.Ordinal);
    }
}
