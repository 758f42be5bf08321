using Secrets.Authn.Jwt;

namespace Secrets.Authn.Kubernetes;

/// <summary>The outcome of reading a service-account token: an identity, or the reason for the audit record.</summary>
public sealed class ServiceAccountResult
{
    internal ServiceAccountResult(ServiceAccountFailure failure, JwtFailure jwtFailure, ServiceAccountIdentity? identity, string? kid, string? issuer)
    {
        Failure = failure;
        JwtFailure = jwtFailure;
        Identity = identity;
        Kid = kid;
        UnverifiedIssuer = issuer;
    }

    /// <summary>True when <see cref="Identity"/> is set.</summary>
    public bool Succeeded => Failure == ServiceAccountFailure.None;

    /// <summary>Why the token was refused.</summary>
    public ServiceAccountFailure Failure { get; }

    /// <summary>The JWT-level reason when <see cref="Failure"/> is <see cref="ServiceAccountFailure.Jwt"/>.</summary>
    public JwtFailure JwtFailure { get; }

    /// <summary>The identity, on success.</summary>
    public ServiceAccountIdentity? Identity { get; }

    /// <summary>The header <c>kid</c>, when it could be read (for the audit).</summary>
    public string? Kid { get; }

    /// <summary>The <c>iss</c> as written, when it could be read (for the audit).</summary>
    public string? UnverifiedIssuer { get; }
}
