namespace Secrets.Authn.Jwt;

/// <summary>
/// The verification keys of <b>one</b> issuer (or one SPIFFE trust domain). A validator never pools keys of several
/// issuers (pitfall row 13): the caller picks the source that belongs to the token's configured issuer.
/// </summary>
public interface IJwtKeySource
{
    /// <summary>
    /// The keys whose <c>kid</c> equals <paramref name="kid"/> (ordinal), or every key when <paramref name="kid"/> is
    /// null. A remote source refreshes (single-flight, rate-limited) when it has no key with that kid.
    /// </summary>
    ValueTask<JwtKeyLookup> GetKeysAsync(string? kid, CancellationToken cancellationToken);
}

/// <summary>The answer of a key source.</summary>
/// <param name="Keys">The matching keys (possibly empty).</param>
/// <param name="Available">False when the source has never obtained a key set, so an empty answer means "cannot
/// tell" rather than "no such key".</param>
public readonly record struct JwtKeyLookup(IReadOnlyList<JwtKey> Keys, bool Available);
