using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Tests.Security.BadInput;

/// <summary>Who sends a request: nobody, an admin API key, or a signed-in dashboard session.</summary>
public enum Caller
{
    Anonymous,
    ApiKey,
    Session,
}

/// <summary>How a request goes on the wire: through HttpClient, or hand-written bytes for what HttpClient cannot send.</summary>
public enum Wire
{
    Http,
    /// <summary>A Content-Length larger than the bytes sent, then the client stops sending.</summary>
    TruncatedBody,
    /// <summary>A chunked body whose chunk header is not hexadecimal.</summary>
    BrokenChunks,
    /// <summary>The target as raw bytes (control characters, bytes that are not UTF-8, longer than System.Uri allows).</summary>
    RawTarget,
}

/// <summary>One hostile request of the suite.</summary>
public sealed record HostileRequest(RouteInfo Route, string Label, string Method, string Target, byte[]? Body, string? ContentType, Caller Caller, Wire Wire = Wire.Http)
{
    public byte[]? RawTarget { get; init; }

    public override string ToString() =>
        $"{Caller} {Method} {(Target.Length > 120 ? Target[..120] + $"…({Target.Length} chars)" : Target)} [{Label}]{(ContentType is null ? "" : $" Content-Type: {ContentType}")}{(Body is null ? "" : $" body {Body.Length} B")}";
}

/// <summary>A valid body for a route, which the suite breaks one field at a time.</summary>
public abstract record SampleBody;

public sealed record JsonSample(JsonNode Body) : SampleBody;

public sealed record FormSample(IReadOnlyList<KeyValuePair<string, string>> Fields) : SampleBody;

/// <summary>What the suite needs from the running server: valid route values, valid bodies, the limits.</summary>
public interface IBadInputFixture
{
    string RouteValue(RouteInfo route, string parameter);

    IReadOnlyList<SampleBody> Samples(RouteInfo route);

    long BodyLimit(RouteInfo route);

    /// <summary>The dashboard forms a page renders for a signed-in admin (hidden fields included), scraped from the page.</summary>
    IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> RenderedForms(RouteInfo route);

    string AntiforgeryToken { get; }
}

/// <summary>Generates the hostile requests for one route.</summary>
internal static class HostileRequests
{
    private static readonly string[] GenericQueryNames = ["limit", "cursor", "since", "status", "provider", "after", "before", "range"];

    public static IEnumerable<HostileRequest> For(RouteInfo route, IBadInputFixture fixture)
    {
        var caller = route.IsApi ? Caller.ApiKey : Caller.Session;
        var readMethod = route.Methods.Contains("GET") ? "GET" : route.Methods[0];
        var bodyMethod = route.Methods.FirstOrDefault(m => m is "POST" or "PUT" or "PATCH");
        var validPath = Path(route, fixture, null, null);
        var samples = fixture.Samples(route);
        var firstSample = samples.Count > 0 ? samples[0] : null;

        // Route values: each parameter in turn, the others valid.
        foreach (var parameter in route.RouteParameters)
        {
            foreach (var (label, value) in HostileValues.InUrl)
            {
                var target = Path(route, fixture, parameter, value);
                foreach (var method in route.Methods)
                {
                    var (body, type) = method is "POST" or "PUT" or "PATCH" ? Encode(firstSample) : (null, null);
                    yield return new HostileRequest(route, $"{{{parameter}}} = {label}", method, target, body, type, caller);
                }
            }
            var raw = Encoding.UTF8.GetBytes(Path(route, fixture, parameter, "RAWBYTES"));
            var at = IndexOf(raw, "RAWBYTES"u8);
            byte[] rawTarget = [.. raw[..at], 0x01, 0x7F, 0xFF, 0xC0, 0x20, 0x09, .. raw[(at + 8)..]];
            yield return new HostileRequest(route, $"{{{parameter}}} = raw control and non-UTF-8 bytes", readMethod, "(raw)", null, null, caller, Wire.RawTarget)
            {
                RawTarget = rawTarget,
            };
        }

        // Query strings: the names the endpoint binds, else the usual list and paging names.
        var names = route.QueryNames.Count > 0 ? route.QueryNames : GenericQueryNames;
        foreach (var name in names)
        {
            foreach (var (label, value) in HostileValues.InUrl)
            {
                yield return new HostileRequest(route, $"?{name} = {label}", readMethod, $"{validPath}?{name}={value}", null, null, caller);
            }
        }
        foreach (var (label, value) in HostileValues.InUrl.Where(v => v.Value.Length < 10_000))
        {
            var all = string.Join('&', GenericQueryNames.Concat(route.QueryNames).Distinct().Select(n => $"{n}={value}"));
            yield return new HostileRequest(route, $"every query name = {label}", readMethod, $"{validPath}?{all}", null, null, caller);
        }
        yield return new HostileRequest(route, "repeated query name ×2000", readMethod, $"{validPath}?{string.Join('&', Enumerable.Repeat("limit=1", 2000))}", null, null, caller);

        if (bodyMethod is not null)
        {
            foreach (var (label, type, body) in GenericBodies(fixture.BodyLimit(route)))
            {
                yield return new HostileRequest(route, label, bodyMethod, validPath, body, type, caller);
            }
            foreach (var sample in samples)
            {
                foreach (var request in Mutations(route, sample, bodyMethod, validPath, caller))
                {
                    yield return request;
                }
            }
            var (sampleBody, sampleType) = Encode(firstSample ?? new JsonSample(new JsonObject()));
            yield return new HostileRequest(route, "Content-Length larger than the body, then silence", bodyMethod, validPath, sampleBody, sampleType, caller, Wire.TruncatedBody);
            yield return new HostileRequest(route, "broken chunked encoding", bodyMethod, validPath, sampleBody, sampleType, caller, Wire.BrokenChunks);
            yield return new HostileRequest(route, "the valid sample, invalid charset", bodyMethod, validPath, sampleBody, sampleType + "; charset=bogus", caller);
        }

        // Dashboard forms: the ones the page renders (hidden fields and all), each field in turn hostile.
        if (route.IsPage && bodyMethod is not null)
        {
            foreach (var form in fixture.RenderedForms(route))
            {
                var handler = form.FirstOrDefault(f => f.Key == "_handler").Value ?? "";
                foreach (var request in FormMutations(route, form, bodyMethod, validPath, caller, $"rendered form '{handler}'"))
                {
                    yield return request;
                }
            }
            foreach (var model in route.Forms)
            {
                List<KeyValuePair<string, string>> form = [new("_handler", model.FormName), new("__RequestVerificationToken", fixture.AntiforgeryToken),
                    .. model.Fields.Select(f => new KeyValuePair<string, string>(f, "x"))];
                foreach (var request in FormMutations(route, form, bodyMethod, validPath, caller, $"form model '{model.FormName}'"))
                {
                    yield return request;
                }
            }
        }

        // Anonymous: the same route without credentials.
        foreach (var method in route.Methods)
        {
            var (body, type) = method is "POST" or "PUT" or "PATCH" ? Encode(firstSample) : (null, null);
            yield return new HostileRequest(route, "anonymous, valid request", method, validPath, body, type, Caller.Anonymous);
            if (method == bodyMethod)
            {
                foreach (var (label, genericType, genericBody) in GenericBodies(fixture.BodyLimit(route)).Where((_, i) => i % 4 == 0))
                {
                    yield return new HostileRequest(route, "anonymous, " + label, method, validPath, genericBody, genericType, Caller.Anonymous);
                }
            }
        }
    }

    /// <summary>A plausible JSON value for a request model: the sample the suite breaks one field at a time.</summary>
    public static JsonNode? SampleOf(Type type, Func<string, JsonNode?> hint, string name = "", int depth = 0)
    {
        if (hint(name) is { } hinted)
        {
            return hinted;
        }
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "sample";
        }
        if (type == typeof(bool))
        {
            return true;
        }
        if (type.IsEnum)
        {
            return JsonNamingPolicy.CamelCase.ConvertName(Enum.GetNames(type)[0]);
        }
        if (type.IsPrimitive || type == typeof(decimal))
        {
            return 1;
        }
        if (type == typeof(TimeSpan))
        {
            return "00:10:00";
        }
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            return "2030-01-01T00:00:00Z";
        }
        if (type == typeof(JsonElement) || type == typeof(JsonNode) || type == typeof(object) || depth > 3)
        {
            return new JsonObject();
        }
        var dictionary = type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            || i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>));
        if (dictionary is not null)
        {
            return new JsonObject { ["key"] = SampleOf(dictionary.GetGenericArguments()[1], hint, "", depth + 1) };
        }
        if (typeof(IEnumerable).IsAssignableFrom(type))
        {
            var item = type.IsArray ? type.GetElementType()! : type.GetGenericArguments().FirstOrDefault() ?? typeof(string);
            return new JsonArray(SampleOf(item, hint, name + "[]", depth + 1));
        }
        var sample = new JsonObject();
        foreach (var property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public))
        {
            var json = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            sample[json] = SampleOf(property.PropertyType, hint, json, depth + 1);
        }
        return sample;
    }

    private static IEnumerable<HostileRequest> Mutations(RouteInfo route, SampleBody sample, string method, string path, Caller caller)
    {
        switch (sample)
        {
            case JsonSample json:
                foreach (var (where, node) in Nodes(json.Body, "$"))
                {
                    foreach (var (label, token) in HostileValues.InJson)
                    {
                        yield return new HostileRequest(route, $"{where} = {label}", method, path, Splice(json.Body, node, token), "application/json", caller);
                    }
                }
                break;
            case FormSample form:
                foreach (var request in FormMutations(route, [.. form.Fields], method, path, caller, "form"))
                {
                    yield return request;
                }
                break;
        }
    }

    private static IEnumerable<HostileRequest> FormMutations(RouteInfo route, IReadOnlyList<KeyValuePair<string, string>> form, string method, string path, Caller caller, string what)
    {
        const string FormType = "application/x-www-form-urlencoded";
        for (var i = 0; i < form.Count; i++)
        {
            if (form[i].Key == "__RequestVerificationToken")
            {
                continue;
            }
            foreach (var (label, value) in HostileValues.InForm)
            {
                var fields = form.Select((f, j) => j == i ? $"{Uri.EscapeDataString(f.Key)}={value}" : Field(f));
                yield return new HostileRequest(route, $"{what}: {form[i].Key} = {label}", method, path, Encoding.UTF8.GetBytes(string.Join('&', fields)), FormType, caller);
            }
        }
        var plain = string.Join('&', form.Select(Field));
        yield return new HostileRequest(route, $"{what}: as rendered", method, path, Encoding.UTF8.GetBytes(plain), FormType, caller);
        yield return new HostileRequest(route, $"{what}: without its anti-forgery token", method, path,
            Encoding.UTF8.GetBytes(string.Join('&', form.Where(f => f.Key != "__RequestVerificationToken").Select(Field))), FormType, caller);
        yield return new HostileRequest(route, $"{what}: 5,000 extra fields", method, path,
            Encoding.UTF8.GetBytes(plain + string.Concat(Enumerable.Range(0, 5000).Select(n => $"&f{n}=v"))), FormType, caller);
        yield return new HostileRequest(route, $"{what}: every field twice", method, path, Encoding.UTF8.GetBytes(plain + "&" + plain), FormType, caller);
        yield return new HostileRequest(route, $"{what}: NUL in a field name", method, path, Encoding.UTF8.GetBytes(plain + "&a%00b=1"), FormType, caller);
        yield return new HostileRequest(route, $"{what}: as multipart", method, path,
            Encoding.UTF8.GetBytes(string.Concat(form.Select(f => $"--zz\r\nContent-Disposition: form-data; name=\"{f.Key}\"\r\n\r\n{f.Value}\r\n")) + "--zz--\r\n"),
            "multipart/form-data; boundary=zz", caller);

        static string Field(KeyValuePair<string, string> f) => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}";
    }

    private static IEnumerable<(string Label, string? ContentType, byte[]? Body)> GenericBodies(long limit)
    {
        const string Json = "application/json";
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        yield return ("no body, no Content-Type", null, null);
        yield return ("empty JSON body", Json, []);
        yield return ("truncated JSON", Json, Utf8("{\"to\": \"+9198"));
        yield return ("a lone brace", Json, Utf8("{"));
        yield return ("10,000 levels of [", Json, Utf8(new string('[', 10_000)));
        yield return ("10,000 nested objects", Json, Utf8(string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000)));
        yield return ("JSON null", Json, Utf8("null"));
        yield return ("array of null", Json, Utf8("[null]"));
        yield return ("messages: [null]", Json, Utf8("{\"messages\":[null]}"));
        yield return ("array of 20,000 empty objects", Json, Utf8("[" + string.Join(',', Enumerable.Repeat("{}", 20_000)) + "]"));
        yield return ("messages: 20,000 empty objects", Json, Utf8("{\"messages\":[" + string.Join(',', Enumerable.Repeat("{}", 20_000)) + "]}"));
        yield return ("invalid UTF-8 in a string", Json, [.. "{\"a\":\""u8, 0xC3, 0x28, 0xFF, 0xFE, .. "\"}"u8]);
        yield return ("bytes that are not UTF-8 at all", Json, [0xFF, 0xFE, 0x00, 0xD8, 0x00, 0xDC]);
        yield return ("a UTF-8 byte order mark", Json, [0xEF, 0xBB, 0xBF, .. "{}"u8]);
        yield return ("overflowing number", Json, Utf8("1e400"));
        yield return ("overflowing integer", Json, Utf8("99999999999999999999999999999"));
        yield return ("100k-character string", Json, Utf8($"{{\"a\":\"{new string('a', HostileValues.LongLength)}\"}}"));
        yield return ("100k-character property name", Json, Utf8($"{{\"{new string('a', HostileValues.LongLength)}\":1}}"));
        yield return ("control characters", Json, Utf8("{\"a\":\"\\u0000\\u001b[2J\\r\\n\"}\u0000\u001b"));
        yield return ("charset=bogus", "application/json; charset=bogus", Utf8("{}"));
        yield return ("charset=utf-16 on a UTF-8 body", "application/json; charset=utf-16", Utf8("{}"));
        yield return ("unclosed quote in the charset", "application/json; charset=\"utf-8", Utf8("{}"));
        yield return ("garbage Content-Type", ";;;garbage", Utf8("{}"));
        yield return ("JSON as text/plain", "text/plain", Utf8("{}"));
        yield return ("XML with an external entity", "application/xml",
            Utf8("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>"));
        yield return ("form with NUL and invalid UTF-8", "application/x-www-form-urlencoded", Utf8("a=%00&b=%FF%FE&%00=1&c=%zz"));
        yield return ("form of 5,000 fields", "application/x-www-form-urlencoded", Utf8(string.Join('&', Enumerable.Range(0, 5000).Select(i => $"f{i}=v"))));
        yield return ("JSON sent as a form", "application/x-www-form-urlencoded", Utf8("{\"to\":\"+919812345678\"}"));
        yield return ("multipart without a boundary", "multipart/form-data", Utf8("x"));
        yield return ("multipart cut off", "multipart/form-data; boundary=zz", Utf8("--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalu"));
        yield return ($"{limit + 1} bytes (one over the limit)", Json, CreateLarge(limit + 1));
    }

    private static byte[] CreateLarge(long size)
    {
        var body = new byte[size];
        Array.Fill(body, (byte)'a');
        body[0] = (byte)'"';
        return body;
    }

    private static string Path(RouteInfo route, IBadInputFixture fixture, string? hostileParameter, string? hostileValue)
    {
        var path = route.Pattern;
        foreach (var parameter in route.RouteParameters)
        {
            var value = parameter == hostileParameter ? hostileValue! : Uri.EscapeDataString(fixture.RouteValue(route, parameter));
            path = System.Text.RegularExpressions.Regex.Replace(path, "\\{\\*{0,2}" + parameter + "(:[^}]*)?\\??\\}", value.Replace("$", "$$", StringComparison.Ordinal));
        }
        return path;
    }

    private static (byte[]? Body, string? ContentType) Encode(SampleBody? sample) => sample switch
    {
        JsonSample json => (Encoding.UTF8.GetBytes(json.Body.ToJsonString()), "application/json"),
        FormSample form => (Encoding.UTF8.GetBytes(string.Join('&', form.Fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"))), "application/x-www-form-urlencoded"),
        _ => (Encoding.UTF8.GetBytes("{}"), "application/json"),
    };

    /// <summary>Every node of a JSON tree with its path (the root excluded).</summary>
    private static IEnumerable<(string Path, JsonNode Node)> Nodes(JsonNode root, string path)
    {
        switch (root)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (value is null)
                    {
                        continue;
                    }
                    yield return ($"{path}.{key}", value);
                    foreach (var child in Nodes(value, $"{path}.{key}"))
                    {
                        yield return child;
                    }
                }
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is { } item)
                    {
                        yield return ($"{path}[{i}]", item);
                        foreach (var child in Nodes(item, $"{path}[{i}]"))
                        {
                            yield return child;
                        }
                    }
                }
                break;
        }
    }

    /// <summary>The body with <paramref name="target"/> replaced by the raw bytes of <paramref name="token"/>.</summary>
    private static byte[] Splice(JsonNode root, JsonNode target, byte[] token)
    {
        const string Marker = "\u0001HOSTILE\u0001";
        var clone = JsonNode.Parse(root.ToJsonString())!;
        var path = target.GetPath();
        var node = Find(clone, path);
        node.ReplaceWith(JsonValue.Create(Marker));
        var text = Encoding.UTF8.GetBytes(clone.ToJsonString());
        var marker = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Marker));
        var at = IndexOf(text, marker);
        return [.. text[..at], .. token, .. text[(at + marker.Length)..]];
    }

    private static JsonNode Find(JsonNode root, string path)
    {
        foreach (var (_, node) in Nodes(root, "$"))
        {
            if (node.GetPath() == path)
            {
                return node;
            }
        }
        throw new InvalidOperationException($"No node at {path}.");
    }

    private static int IndexOf(byte[] text, ReadOnlySpan<byte> part) => text.AsSpan().IndexOf(part);
}
