using System.Globalization;
using System.Text.Json;
using CsCheck;
using Herald.Core.DeliveryReports;
using Herald.Core.Messaging;
using Herald.Providers.Abstractions;
using Herald.Providers.GenericHttp;
using Herald.Providers.Kaleyra;

namespace Herald.Providers.Tests.Properties;

/// <summary>
/// Issue 14 §3: both delivery-report parsers (CleverTap's JSON, Kaleyra's fields) never fail on arbitrary input other than
/// with <see cref="DlrFormatException"/> (the 400 "not a report"), and give back generated valid reports exactly.
/// </summary>
public sealed class DlrParserProperties
{
    private static readonly IDeliveryReportFormat[] Formats = [GenericDlrFormat.Instance, new KaleyraReportFormat()];

    /// <summary>Bodies built from the formats' own tokens, so they are often almost valid.</summary>
    private static readonly Gen<string> Bodies = Gen.Frequency(
            (6, Gen.OneOf("[", "]", "{", "}", ":", ",", "\"event\"", "\"data\"", "\"delivered\"", "\"failed\"", "\"meta\"", "\"ts\"", "\"code\"",
                "\"status\"", "\"id\"", "\"ref\"", "\"DELIVRD\"", "\"status_details\"", "null", "true", "1", "-1", "1e400", "99999999999999999999",
                "\"\\ud800\"", "\"\\u0000\"", "\"\"", "=", "&", "%", "%FF", "status=", "id=", "ref=", "delivered_at=")),
            (1, Gen.String[0, 8]))
        .Array[0, 40].Select(string.Concat);

    private static readonly Gen<string?> ContentTypes = Gen.OneOf<string?>(null, "application/json", "application/x-www-form-urlencoded", "text/plain",
        "application/x-www-form-urlencoded; charset=utf-8", "multipart/form-data");

    private static readonly Gen<Dictionary<string, string>> Queries = Gen.Select(
            Gen.OneOf("status", "id", "ref", "message_id", "status_details", "delivered_at", "x", ""), Gen.String[0, 12])
        .Array[0, 5].Select(pairs => pairs.GroupBy(p => p.Item1).ToDictionary(g => g.Key, g => g.First().Item2));

    private static readonly Gen<string> Ids = Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789_-"].Array[1, 24].Select(a => new string(a));

    [Fact]
    public void Parse_ArbitraryCallback_AnswersReportsOrDlrFormatExceptionNeverAnotherError()
    {
        Gen.Select(Bodies, ContentTypes, Queries).Sample((body, contentType, query) =>
        {
            foreach (var format in Formats)
            {
                try
                {
                    var result = format.Parse(new DlrRequest(contentType, body, query));
                    // Everything a parser answers must be storable: the pipeline serialises reports and unprocessed records.
                    _ = JsonSerializer.Serialize(result);
                }
                catch (DlrFormatException)
                {
                    // "not a delivery report": a 400 that names the formats
                }
            }
        }, iter: 5000);
    }

    [Fact]
    public void Parse_ArbitraryCleverTapShapedJson_NeverFails()
    {
        var value = Gen.OneOf("null", "1", "\"x\"", "[]", "{}", "\"\\ud800\"", "1e400", "-5", "99999999999999999999", "\"12\"");
        var record = Gen.Select(Gen.OneOf("meta", "ts", "code", "description", "x"), value).Array[0, 4]
            .Select(fields => "{" + string.Join(',', fields.Select(f => $"\"{f.Item1}\":{f.Item2}")) + "}");
        var group = Gen.Select(Gen.OneOf("\"delivered\"", "\"failed\"", "\"clicked\"", "\"other\"", "1", "null"), record.Array[0, 3],
            (name, records) => $"{{\"event\":{name},\"data\":[{string.Join(',', records)}]}}");
        group.Array[0, 3].Select(groups => "[" + string.Join(',', groups) + "]").Sample(body =>
        {
            try
            {
                _ = JsonSerializer.Serialize(GenericDlrFormat.Instance.Parse(new DlrRequest("application/json", body, new Dictionary<string, string>())));
            }
            catch (DlrFormatException)
            {
            }
        }, iter: 5000);
    }

    [Fact]
    public void Parse_GeneratedCleverTapReports_ComeBackExactly()
    {
        var report = Gen.Select(Gen.OneOf("delivered", "failed", "clicked", "replied"), Ids, Gen.Int[900, 920], Gen.Long[0, 99_999_999_999],
            (name, meta, code, ts) => (Event: name, Meta: meta, Code: code.ToString(CultureInfo.InvariantCulture), Ts: ts));
        report.Array[1, 20].Sample(reports =>
        {
            var body = JsonSerializer.Serialize(reports.GroupBy(r => r.Event).Select(g => new
            {
                @event = g.Key,
                data = g.Select(r => new { ts = r.Ts, meta = r.Meta, code = r.Code, description = "d" }),
            }));

            var parsed = GenericDlrFormat.Instance.Parse(new DlrRequest("application/json", body, new Dictionary<string, string>()));

            Assert.Empty(parsed.Unprocessed);
            var expected = reports.GroupBy(r => r.Event).SelectMany(g => g).ToList();
            Assert.Equal(expected.Count, parsed.Reports.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                var (name, meta, code, ts) = expected[i];
                var got = parsed.Reports[i];
                Assert.Equal(meta, got.Reference);
                Assert.Equal(DlrCorrelation.HeraldMessageId, got.CorrelateBy);
                Assert.Equal(name, got.Event);
                Assert.Equal(name switch { "delivered" => DeliveryState.Delivered, "failed" => CleverTapDlrFormat.StateForFailureCode(code), _ => (DeliveryState?)null }, got.State);
                Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(ts), got.OccurredAt);
                Assert.Equal(code, got.Code);
            }
        }, iter: 1000);
    }

    [Fact]
    public void Parse_GeneratedKaleyraReports_ComeBackExactlyAsFormQueryAndJson()
    {
        var status = Gen.OneOf("DELIVRD", "Delivered", "SENT", "Sent", "FAILED", "Failed", "UNDELIV", "Undelivered", "EXPIRED", "NOT-SENT");
        var details = Gen.OneOf<string?>(null, "DELIVRD", "DND", "CON-DND", "EXPIRED", "INVALID-SUB", "TEMPLATE-NOT-FOUND");
        var sample = Gen.Select(Ids, status, details, Gen.OneOf<string?>(null, "msg_1"), Gen.Int[0, 3]);
        sample.Sample((id, status, details, reference, shape) =>
        {
            var fields = new Dictionary<string, string> { ["id"] = id, ["status"] = status, ["mobile"] = "919812345678" };
            if (details is not null)
            {
                fields["status_details"] = details;
            }
            if (reference is not null)
            {
                fields["ref"] = reference;
            }
            var form = string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"));
            var request = shape switch
            {
                0 => new DlrRequest("application/x-www-form-urlencoded", form, new Dictionary<string, string>()),
                1 => new DlrRequest(null, "", fields),
                2 => new DlrRequest("application/json", JsonSerializer.Serialize(fields), new Dictionary<string, string>()),
                _ => new DlrRequest("application/json", JsonSerializer.Serialize(new[] { fields }), new Dictionary<string, string>()),
            };

            foreach (var format in Formats)
            {
                var parsed = format.Parse(request);

                Assert.Empty(parsed.Unprocessed);
                var report = Assert.Single(parsed.Reports);
                Assert.Equal(reference ?? id, report.Reference);
                Assert.Equal(reference is null ? DlrCorrelation.ProviderMessageId : DlrCorrelation.HeraldMessageId, report.CorrelateBy);
                Assert.Equal(KaleyraDlrFormat.StateFor(status, details), report.State);
                // The event is the status as reported; the declared engine keeps it in lower case (EXPIRED and expired are one status).
                Assert.Equal(status, report.Event, ignoreCase: true);
                if (reference is not null)
                {
                    Assert.Equal(id, report.AlternateProviderMessageId);
                }
            }
        }, iter: 2000);
    }
}
