using System.CommandLine;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Secrets.Cli.Client;
using Secrets.Cli.Configuration;

namespace Secrets.Cli.Commands;

/// <summary><c>secrets init</c>: writes <c>~/.conjurrc</c> (and, with <c>--self-signed</c>, the server certificate).</summary>
internal static class InitCommand
{
    public static Command Create(CliSession session)
    {
        var url = new Option<string>("--url", "-u") { Description = "Appliance URL, e.g. https://conjur.example.com.", Required = true, HelpName = "url" };
        var account = new Option<string>("--account", "-a") { Description = "Organisation account.", Required = true, HelpName = "account" };
        var selfSigned = new Option<bool>("--self-signed") { Description = "Fetch the server's certificate and trust it (saved as ~/conjur-ACCOUNT.pem)." };
        var caCert = new Option<string>("--ca-cert") { Description = "PEM file of the CA (or server certificate) to trust.", HelpName = "file" };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing configuration file." };
        var command = CliApp.Command(
            "init",
            "Write ~/.conjurrc (or $CONJURRC): appliance URL, account, trusted certificate and authenticator.",
            "secrets init -u https://conjur.example.com -a myorg --self-signed",
            "secrets init -u https://conjur.example.com -a myorg --authn-type k8s --service-id prod-cluster");
        command.Options.Add(url);
        command.Options.Add(account);
        command.Options.Add(selfSigned);
        command.Options.Add(caCert);
        command.Options.Add(force);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var applianceUrl = CliSettings.Normalize(parseResult.GetRequiredValue(url));
            var accountName = parseResult.GetRequiredValue(account);
            var trustSelfSigned = parseResult.GetValue(selfSigned);
            var caCertFile = parseResult.GetValue(caCert);
            if (!Uri.TryCreate(applianceUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"'{applianceUrl}' is not an http(s) URL.");
            }

            if (accountName.Length == 0 || accountName.Any(c => c is ' ' or ':' or '/'))
            {
                throw new UsageException("The account may not be empty or contain a space, ':' or '/'.");
            }

            if (trustSelfSigned && caCertFile is not null)
            {
                throw new UsageException("Use either --self-signed or --ca-cert, not both.");
            }

            if ((trustSelfSigned || caCertFile is not null) && uri.Scheme != "https")
            {
                throw new UsageException("--self-signed and --ca-cert need an https URL.");
            }

            var overrides = session.Globals.Read(parseResult);
            var rcPath = session.Host.Environment.TryGetValue("CONJURRC", out var custom) && !string.IsNullOrEmpty(custom)
                ? custom
                : Path.Combine(session.Host.Home, ".conjurrc");
            if (File.Exists(rcPath) && !parseResult.GetValue(force))
            {
                throw new CliFailureException($"{rcPath} already exists; use --force to overwrite it.");
            }

            string? certFile = null;
            if (caCertFile is not null)
            {
                certFile = Path.GetFullPath(caCertFile);
                try
                {
                    if (ServerCertificateTrust.LoadPemFile(certFile).Count == 0)
                    {
                        throw new UsageException($"{caCertFile} holds no PEM certificate.");
                    }
                }
                catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
                {
                    throw new UsageException($"Cannot read the CA certificate '{caCertFile}': {e.Message}");
                }
            }
            else if (trustSelfSigned)
            {
                var chain = await FetchServerCertificatesAsync(uri, cancellationToken);
                certFile = Path.Combine(session.Host.Home, $"conjur-{accountName}.pem");
                var pem = new StringBuilder();
                foreach (var certificate in chain)
                {
                    pem.Append(certificate.ExportCertificatePem()).Append('\n');
                }

                SecureFile.WriteAllText(certFile, pem.ToString(), SecureFile.PublicReadable);
                var fingerprint = Convert.ToHexString(SHA256.HashData(chain[0].RawData));
                session.Err.WriteLine($"The server's certificate SHA-256 fingerprint is {string.Join(':', fingerprint.Chunk(2).Select(c => new string(c)))}.");
                session.Err.WriteLine("Verify it on the server before trusting this configuration.");
                session.Out.WriteLine($"Wrote certificate to {certFile}");
                foreach (var certificate in chain)
                {
                    certificate.Dispose();
                }
            }

            if (overrides.AuthnType is "ldap" or "jwt" or "k8s" or "spiffe" && overrides.ServiceId is null)
            {
                throw new UsageException($"--authn-type {overrides.AuthnType} needs --service-id.");
            }

            var rc = new ConjurRc
            {
                ApplianceUrl = applianceUrl,
                Account = accountName,
                CertFile = certFile,
                AuthnType = overrides.AuthnType ?? "authn",
                ServiceId = overrides.ServiceId,
                JwtFile = overrides.JwtFile,
                JwtHostId = overrides.JwtHostId,
            };
            SecureFile.WriteAllText(rcPath, rc.ToYaml(), SecureFile.PublicReadable);
            if (uri.Scheme == "http" && !uri.IsLoopback)
            {
                session.Err.WriteLine("warning: the appliance URL uses plain HTTP; API keys and secrets will cross the network unencrypted.");
            }

            session.Out.WriteLine($"Wrote configuration to {rcPath}");
        }));
        return command;
    }

    /// <summary>
    /// Connects once and returns the certificates the server presents (leaf first), like
    /// <c>openssl s_client -showcerts</c>. Trust is the user's decision (the fingerprint is printed), so this one
    /// handshake accepts any certificate; nothing but the certificates is exchanged on it.
    /// </summary>
    private static async Task<List<X509Certificate2>> FetchServerCertificatesAsync(Uri uri, CancellationToken cancellationToken)
    {
        var presented = new List<X509Certificate2>();
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(uri.Host, uri.Port, cancellationToken);
            await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = uri.Host,
#pragma warning disable CA5359 // Deliberate: this handshake only downloads the certificate for the user to verify.
                    RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
#pragma warning restore CA5359
                    {
                        if (chain is { ChainElements.Count: > 0 })
                        {
                            presented.AddRange(chain.ChainElements.Select(e => X509CertificateLoader.LoadCertificate(e.Certificate.RawData)));
                        }
                        else if (certificate is not null)
                        {
                            presented.Add(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                        }

                        return true;
                    },
                },
                cancellationToken);
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            throw new CliFailureException($"Cannot fetch the certificate of {uri.Host}:{uri.Port}: {e.Message}");
        }

        return presented.Count > 0 ? presented : throw new CliFailureException($"{uri.Host}:{uri.Port} presented no certificate.");
    }
}
