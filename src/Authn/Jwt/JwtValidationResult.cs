using System.Text.Json;

namespace Secrets.Authn.Jwt;

/// <summary>A JWT whose signature and registered claims were verified.</summary>
/// <param name="Token">The parsed token (header values, raw payload).</param>
/// <param name="Issuer">The <c>iss</c> claim, or null when absent (only possible when no issuer was configured).</param>
/// <param name="Subject">The <c>sub</c> claim, or null when absent.</param>
/// <param name="Audiences">The <c>aud</c> values (a single string becomes a list of one).</param>
/// <param name="ExpiresAt">The <c>exp</c> claim: an issued access token must not outlive it.</param>
/// <param name="IssuedAt">The <c>iat</c> claim, if present.</param>
/// <param name="NotBefore">The <c>nbf</c> claim, if present.</param>
/// <param name="JwtId">The <c>jti</c> claim, if present and a string.</param>
public sealed record ValidatedJwt(
    JwtToken Token,
    string? Issuer,
    string? Subject,
    IReadOnlyList<string> Audiences,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? IssuedAt,
    DateTimeOffset? NotBefore,
    string? JwtId)
{
    /// <summary>The verified claims object.</summary>
    public JsonElement Claims => Token.Payload;
}

/// <summary>
/// The outcome of a validation: a <see cref="ValidatedJwt"/>, or a <see cref="JwtFailure"/> for the audit record.
/// <see cref="Kid"/> and <see cref="UnverifiedIssuer"/> are set whenever the header and payload could be parsed, also
/// on failure, so the audit can name them.
/// </summary>
public sealed class JwtValidationResult
{
    private JwtValidationResult(JwtFailure failure, ValidatedJwt? jwt, JwtToken? token)
    {
        Failure = failure;
        Jwt = jwt;
        Kid = token?.Kid;
        UnverifiedIssuer = token?.UnverifiedIssuer;
    }

    /// <summary>True when <see cref="Jwt"/> is set.</summary>
    public bool Succeeded => Failure == JwtFailure.None;

    /// <summary>Why the token was refused; <see cref="JwtFailure.None"/> on success.</summary>
    public JwtFailure Failure { get; }

    /// <summary>The verified token, on success.</summary>
    public ValidatedJwt? Jwt { get; }

    /// <summary>The header <c>kid</c>, when the header parsed.</summary>
    public string? Kid { get; }

    /// <summary>The <c>iss</c> as written (verified only when <see cref="Succeeded"/>), when the payload parsed.</summary>
    public string? UnverifiedIssuer { get; }

    internal static JwtValidationResult Success(ValidatedJwt jwt) => new(JwtFailure.None, jwt, jwt.Token);

    internal static JwtValidationResult Fail(JwtFailure failure, JwtToken? token) => new(failure, null, token);
}
