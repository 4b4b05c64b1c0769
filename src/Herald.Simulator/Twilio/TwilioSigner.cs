using System.Security.Cryptography;
using System.Text;

namespace Herald.Simulator.Twilio;

/// <summary>
/// Signs status callbacks as Twilio does (<c>X-Twilio-Signature</c>): base64 of HMAC-SHA1, keyed by the auth token, over the
/// URL followed by each POST parameter's name and value sorted by name. Written here from Twilio's description rather than
/// shared with Herald's checker: the simulator plays the other party, and one shared mistake would sign and check alike.
/// </summary>
internal static class TwilioSigner
{
    public const string Header = "X-Twilio-Signature";

    public static string Sign(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

#pragma warning disable CA5350 // Twilio's signature is defined with SHA-1.
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
#pragma warning restore CA5350
    }
}
