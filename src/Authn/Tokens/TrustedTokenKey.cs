namespace Secrets.Authn.Tokens;

/// <summary>A token verification key and the account it signs for (Conjur's keystore id <c>authn:&lt;account&gt;</c>).</summary>
/// <param name="Account">The account; a verified token belongs to it (spec 3.1: the key, not the token, names the account).</param>
/// <param name="Key">The public key.</param>
public sealed record TrustedTokenKey(string Account, TokenVerificationKey Key);

/// <summary>
/// Finds the key whose <see cref="TokenVerificationKey.Kid"/> is <paramref name="kid"/>, or returns null when the
/// Server holds no such key. Called at most once per verification, only with a well-formed kid (64 lowercase hex
/// characters), so an implementation may use it directly as a dictionary or database key.
/// </summary>
public delegate TrustedTokenKey? TokenKeyResolver(string kid);
