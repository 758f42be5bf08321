using System.Diagnostics.CodeAnalysis;
using Secrets.Policy.Store;

namespace Secrets.Authn.Tokens;

/// <summary>Why an <c>Authorization</c> header did not yield an identity (spec 1.2). Every case is a 401.</summary>
public enum AccessTokenError
{
    /// <summary>No <c>Token token="…"</c> header: <c>Authorization missing</c>.</summary>
    Missing,

    /// <summary>Not Base64, not JSON, or not the JSON token form: <c>Malformed authorization token</c>.</summary>
    Malformed,

    /// <summary>Unknown key, wrong algorithm, bad signature, missing <c>iat</c> or expired:
    /// <c>Unauthorized: Invalid token</c>.</summary>
    Invalid,

    /// <summary>A claim outside <c>iat exp cidr sub iss aud jti</c>: <c>token contains unrecognized claims</c>.</summary>
    UnrecognizedClaims,
}

/// <summary>A verified access token: who it speaks for and until when.</summary>
/// <param name="Account">The account whose signing key signed the token (from the key lookup, not the token).</param>
/// <param name="Subject">The <c>sub</c> claim, a login such as <c>alice</c> or <c>host/app/01</c>.</param>
/// <param name="RoleId">The role the token speaks for, from <see cref="FullId.FromLogin"/>.</param>
/// <param name="IssuedAt">The <c>iat</c> claim.</param>
/// <param name="ExpiresAt">The <c>exp</c> claim, or <c>iat</c> + 480 s when the token has none.</param>
/// <param name="Cidrs">The <c>cidr</c> claim (empty when absent): the Server answers 403 <c>IP address
/// rejected</c> when it is not empty and the client address is outside it (see
/// <see cref="Network.CidrRestriction.IsAllowed"/>).</param>
/// <param name="Kid">The signing key's id.</param>
public sealed record VerifiedAccessToken(
    string Account,
    string Subject,
    string RoleId,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    IReadOnlyList<string> Cidrs,
    string Kid);

/// <summary>The outcome of <see cref="AccessTokens.Verify"/>: a token, or an error with a reason for the log.</summary>
public sealed class AccessTokenResult
{
    private AccessTokenResult(VerifiedAccessToken? token, AccessTokenError? error, string detail)
    {
        Token = token;
        Error = error;
        Detail = detail;
    }

    /// <summary>The verified token; not null exactly when <see cref="Succeeded"/>.</summary>
    public VerifiedAccessToken? Token { get; }

    /// <summary>The error; null exactly when <see cref="Succeeded"/>.</summary>
    public AccessTokenError? Error { get; }

    /// <summary>
    /// What exactly went wrong, for the log and the audit record only (style rule 6: failures look alike to the
    /// client). Never contains token material.
    /// </summary>
    public string Detail { get; }

    /// <summary>Whether the token was accepted.</summary>
    [MemberNotNullWhen(true, nameof(Token))]
    [MemberNotNullWhen(false, nameof(Error), nameof(ErrorMessage))]
    public bool Succeeded => Token is not null;

    /// <summary>The exact <c>text/plain</c> 401 body Conjur sends for <see cref="Error"/> (spec 1.2).</summary>
    public string? ErrorMessage => Error is { } error ? AccessTokens.MessageFor(error) : null;

    internal static AccessTokenResult Success(VerifiedAccessToken token) => new(token, null, "token accepted");

    internal static AccessTokenResult Failure(AccessTokenError error, string detail) => new(null, error, detail);
}
