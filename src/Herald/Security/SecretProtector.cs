using Microsoft.AspNetCore.DataProtection;

namespace Herald.Security;

/// <summary>Encrypts provider secrets at rest (ASP.NET Data Protection, keys in the data folder).</summary>
internal interface ISecretProtector
{
    string Protect(string secret);
    string Unprotect(string stored);
}

internal sealed class SecretProtector(IDataProtectionProvider provider) : ISecretProtector
{
    private const string Prefix = "enc:";
    private readonly IDataProtector _protector = provider.CreateProtector("Herald.ProviderSecrets.v1");

    public string Protect(string secret) => Prefix + _protector.Protect(secret);

    public string Unprotect(string stored) =>
        stored.StartsWith(Prefix, StringComparison.Ordinal) ? _protector.Unprotect(stored[Prefix.Length..]) : stored;
}
