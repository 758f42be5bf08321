using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Secrets.Server.Audit;
using Secrets.Server.Configuration;

namespace Secrets.Server.Tests.Http;

/// <summary>
/// HTTPS from SECRETS_TLS_CERT_FILE and SECRETS_TLS_KEY_FILE (issue 11), over real TLS sockets on 127.0.0.1: the
/// configured certificate is served, a rotated pair is served to new connections without a restart (overwritten in
/// place, or swapped through a symlink as cert-manager's secret volumes do), and a bad replacement keeps the old one.
/// </summary>
public sealed class ServingHttps : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("secrets-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (string CertPem, string KeyPem, string Thumbprint) NewPair(bool rsa = false)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = rsa
            ? new CertificateRequest("CN=127.0.0.1", (RSA)key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest("CN=127.0.0.1", (ECDsa)key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var keyPem = rsa ? ((RSA)key).ExportRSAPrivateKeyPem() : ((ECDsa)key).ExportECPrivateKeyPem();
        return (cert.ExportCertificatePem(), keyPem, cert.Thumbprint);
    }

    private async Task<WebApplication> StartAsync(string certFile, string keyFile)
    {
        var env = new Dictionary<string, string>
        {
            ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["SECRETS_ACCOUNT"] = "tls",
            ["SECRETS_TLS_CERT_FILE"] = certFile,
            ["SECRETS_TLS_KEY_FILE"] = keyFile,
        };
        var settings = SettingsLoader.Load(k => env.GetValueOrDefault(k), Path.Combine(_dir, "data"), generateMissingDataKey: false) with { Urls = "https://127.0.0.1:0" };
        var app = await ServerApp.BuildAsync(settings, [], s => s.AddSingleton<IAuditSink>(new MemoryAuditSink()));
        await app.StartAsync();
        return app;
    }

    private static Uri Address(WebApplication app) => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>GET / on a new connection; the thumbprint of the certificate the server presented.</summary>
    private static async Task<string> ServedThumbprintAsync(Uri address)
    {
        string? seen = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Self-signed test pairs: the test checks which certificate was presented, by thumbprint.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    seen = certificate is null ? null : new X509Certificate2(certificate).Thumbprint;
                    return seen is not null;
                },
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = address };
        using var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return seen!;
    }

    private static async Task<string> EventuallyServedAsync(Uri address, string thumbprint)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string served;
        while ((served = await ServedThumbprintAsync(address)) != thumbprint && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return served;
    }

    [Fact]
    public async Task The_configured_certificate_is_served_and_an_overwritten_pair_reaches_new_connections()
    {
        var first = NewPair();
        var certFile = Path.Combine(_dir, "tls.crt");
        var keyFile = Path.Combine(_dir, "tls.key");
        await File.WriteAllTextAsync(certFile, first.CertPem);
        await File.WriteAllTextAsync(keyFile, first.KeyPem);
        await using var app = await StartAsync(certFile, keyFile);

        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(Address(app)));

        var second = NewPair(rsa: true);
        await File.WriteAllTextAsync(keyFile, second.KeyPem);
        await File.WriteAllTextAsync(certFile, second.CertPem);
        Assert.Equal(second.Thumbprint, await EventuallyServedAsync(Address(app), second.Thumbprint));

        // A key that does not belong to the certificate: the last good pair stays.
        await File.WriteAllTextAsync(certFile, NewPair().CertPem);
        await Task.Delay(1200);
        Assert.Equal(second.Thumbprint, await ServedThumbprintAsync(Address(app)));
        await app.StopAsync();
    }

    [Fact]
    public async Task A_symlink_swap_of_the_directory_is_seen_like_cert_manager_does_it()
    {
        var first = NewPair();
        var second = NewPair();
        foreach (var (name, pair) in new[] { ("v1", first), ("v2", second) })
        {
            Directory.CreateDirectory(Path.Combine(_dir, name));
            await File.WriteAllTextAsync(Path.Combine(_dir, name, "tls.crt"), pair.CertPem);
            await File.WriteAllTextAsync(Path.Combine(_dir, name, "tls.key"), pair.KeyPem);
        }

        var current = Path.Combine(_dir, "current");
        Directory.CreateSymbolicLink(current, Path.Combine(_dir, "v1"));
        await using var app = await StartAsync(Path.Combine(current, "tls.crt"), Path.Combine(current, "tls.key"));
        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(Address(app)));

        // Atomic swap: a new link renamed over the old one.
        var next = Path.Combine(_dir, "next");
        Directory.CreateSymbolicLink(next, Path.Combine(_dir, "v2"));
        using (var mv = System.Diagnostics.Process.Start("mv", ["-T", next, current]))
        {
            await mv.WaitForExitAsync();
            Assert.Equal(0, mv.ExitCode);
        }

        Assert.Equal(second.Thumbprint, await EventuallyServedAsync(Address(app), second.Thumbprint));
        await app.StopAsync();
    }

    [Fact]
    public async Task An_https_url_without_the_files_or_with_a_bad_pair_stops_start_up_naming_the_settings()
    {
        var env = new Dictionary<string, string> { ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        var plain = SettingsLoader.Load(k => env.GetValueOrDefault(k), Path.Combine(_dir, "d1"), generateMissingDataKey: false) with { Urls = "https://127.0.0.1:0" };
        var missing = await Assert.ThrowsAsync<ConfigurationException>(() => ServerApp.BuildAsync(plain, []));
        Assert.Contains("SECRETS_TLS_CERT_FILE", missing.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "d1", "secrets.db")), "nothing is written before the TLS check");

        env["SECRETS_TLS_CERT_FILE"] = Path.Combine(_dir, "only.crt");
        var one = Assert.Throws<ConfigurationException>(() => SettingsLoader.Load(k => env.GetValueOrDefault(k), Path.Combine(_dir, "d2"), generateMissingDataKey: false));
        Assert.Contains("set both", one.Message, StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(_dir, "only.crt"), "not a certificate");
        await File.WriteAllTextAsync(Path.Combine(_dir, "only.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        env["SECRETS_TLS_KEY_FILE"] = Path.Combine(_dir, "only.key");
        var bad = SettingsLoader.Load(k => env.GetValueOrDefault(k), Path.Combine(_dir, "d3"), generateMissingDataKey: false) with { Urls = "https://127.0.0.1:0" };
        var unreadable = await Assert.ThrowsAsync<ConfigurationException>(() => ServerApp.BuildAsync(bad, []));
        Assert.Contains("SECRETS_TLS_CERT_FILE/SECRETS_TLS_KEY_FILE", unreadable.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AAAA", unreadable.Message, StringComparison.Ordinal);
    }
}
