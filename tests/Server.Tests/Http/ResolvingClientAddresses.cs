using System.Net;
using System.Security.Cryptography;
using Secrets.Authn.Network;
using Secrets.Server.Configuration;

namespace Secrets.Server.Tests.Http;

/// <summary>
/// The client address the server uses for restricted_to, the token cidr claim and audit (spec 1.3): X-Forwarded-For is
/// believed only from trusted proxies, which are loopback plus CONJUR_TRUSTED_PROXIES. The HTTP tests run on loopback,
/// which is always trusted, so the untrusted cases are resolved here exactly as the server's middleware composes them.
/// </summary>
public sealed class ResolvingClientAddresses
{
    [Theory]
    [InlineData(null, "10.0.0.7", "203.0.113.9", "10.0.0.7")]
    [InlineData(null, "192.0.2.10", "10.1.2.3", "192.0.2.10")]
    [InlineData("10.0.0.0/8", "10.0.0.7", "203.0.113.9", "203.0.113.9")]
    [InlineData("10.0.0.7", "10.0.0.7", "203.0.113.9", "203.0.113.9")]
    [InlineData("10.0.0.7", "10.0.0.8", "203.0.113.9", "10.0.0.8")]
    [InlineData("10.0.0.0/8", "10.0.0.7", "203.0.113.9, 10.0.0.8", "203.0.113.9")]
    [InlineData("10.0.0.0/8", "10.0.0.7", "10.9.9.9, 203.0.113.9, 10.0.0.8", "203.0.113.9")]
    [InlineData("10.0.0.0/8", "10.0.0.7", null, "10.0.0.7")]
    [InlineData("10.0.0.0/8", "192.0.2.1", "203.0.113.9", "192.0.2.1")]
    [InlineData(null, "127.0.0.1", "203.0.113.9", "203.0.113.9")]
    [InlineData(null, "::1", "203.0.113.9", "203.0.113.9")]
    [InlineData(null, "::ffff:127.0.0.1", "203.0.113.9", "203.0.113.9")]
    [InlineData(null, "::ffff:10.0.0.7", "203.0.113.9", "10.0.0.7")]
    [InlineData("2001:db8::/32", "2001:db8::5", "198.51.100.1", "198.51.100.1")]
    public void X_Forwarded_For_is_believed_only_from_trusted_proxies(string? configured, string peer, string? forwardedFor, string expected)
    {
        var env = new Dictionary<string, string> { ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        if (configured is not null)
        {
            env["CONJUR_TRUSTED_PROXIES"] = configured;
        }

        var settings = SettingsLoader.Load(k => env.GetValueOrDefault(k), Path.GetTempPath(), generateMissingDataKey: false);
        var trusted = new TrustedProxies(settings.Network.TrustedProxies);

        Assert.Equal(IPAddress.Parse(expected), ClientAddress.Resolve(IPAddress.Parse(peer), forwardedFor, trusted));
    }
}
