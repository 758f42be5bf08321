using System.Reflection;
using System.Security.Cryptography.X509Certificates;

namespace Secrets.Cli.Client;

/// <summary>Where and as whom a <see cref="ConjurClient"/> talks.</summary>
public sealed class ConjurClientOptions
{
    /// <summary>The appliance URL, e.g. <c>https://conjur.example.com</c> (a path prefix is kept).</summary>
    public required Uri ApplianceUrl { get; init; }

    /// <summary>The organisation account.</summary>
    public required string Account { get; init; }

    /// <summary>How tokens are obtained; null for anonymous calls only (login, host-factory enrolment, public keys).</summary>
    public ConjurCredentials? Credentials { get; init; }

    /// <summary>Keeps tokens between client instances; null keeps them in memory only.</summary>
    public IAccessTokenStore? TokenStore { get; init; }

    /// <summary>Certificates trusted in addition to the system roots (the <c>cert_file</c>). Ignored when a handler is passed.</summary>
    public X509Certificate2Collection? TrustedCertificates { get; init; }

    /// <summary>The clock used for token refresh decisions.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Per-request timeout (large policies take a while).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The User-Agent header.</summary>
    public string UserAgent { get; init; } = DefaultUserAgent;

    internal static string DefaultUserAgent { get; } =
        "secrets-cli/" + (typeof(ConjurClientOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0");
}
