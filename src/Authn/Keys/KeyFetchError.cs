namespace Secrets.Authn.Keys;

/// <summary>Why the last fetch of a <see cref="RemoteKeySource"/> failed; for logs, audit and the status endpoint.</summary>
public enum KeyFetchError
{
    /// <summary>The last fetch succeeded (or none was made yet).</summary>
    None = 0,

    /// <summary>The fetch did not finish within <see cref="RemoteKeySourceOptions.Timeout"/>.</summary>
    Timeout,

    /// <summary>Connection or TLS failure (an untrusted certificate included).</summary>
    Unreachable,

    /// <summary>A status other than 200 (redirects are not followed).</summary>
    HttpStatus,

    /// <summary>The body exceeded <see cref="RemoteKeySourceOptions.MaxResponseBytes"/>.</summary>
    TooLarge,

    /// <summary>The discovery document is not a JSON object with string <c>issuer</c> and <c>jwks_uri</c>.</summary>
    InvalidDiscoveryDocument,

    /// <summary>The discovery document names another issuer than the configured one.</summary>
    IssuerMismatch,

    /// <summary>The discovered <c>jwks_uri</c> is not an absolute https URL (or http when allowed).</summary>
    InsecureJwksUri,

    /// <summary>The JWKS is not a valid key set (see <see cref="JwksDocument"/>).</summary>
    InvalidJwks,
}
