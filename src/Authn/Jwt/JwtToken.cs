using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Secrets.Authn.Jwt;

/// <summary>
/// A compact JWS whose shape passed the strict pre-checks but whose signature and claims are <b>not yet
/// verified</b>. Its <see cref="Kid"/>, <see cref="UnverifiedIssuer"/> and <see cref="UnverifiedSubject"/> may be used
/// to pick the key source (the issuer, or a SPIFFE trust domain) and for the audit record, never as an identity.
/// </summary>
public sealed class JwtToken
{
    /// <summary>The header members a token may carry (RFC 8725 §3.10: nothing that names a key or a key URL).</summary>
    public static readonly IReadOnlySet<string> AllowedHeaderMembers = new HashSet<string>(StringComparer.Ordinal) { "alg", "kid", "typ" };

    private static readonly JsonDocumentOptions Strict = new() { MaxDepth = 16, AllowDuplicateProperties = false };
    private static readonly JsonDocumentOptions Lenient = new() { MaxDepth = 16 };

    private readonly byte[] _signingInput;
    private readonly byte[] _signature;

    private JwtToken(string alg, string? kid, string? typ, JsonElement payload, byte[] signingInput, byte[] signature)
    {
        Algorithm = alg;
        Kid = kid;
        Type = typ;
        Payload = payload;
        _signingInput = signingInput;
        _signature = signature;
        UnverifiedIssuer = payload.TryGetProperty("iss", out var iss) && iss.ValueKind == JsonValueKind.String ? iss.GetString() : null;
        UnverifiedSubject = payload.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String ? sub.GetString() : null;
    }

    /// <summary>The header <c>alg</c>; one of <see cref="JwtAlgorithms.All"/>.</summary>
    public string Algorithm { get; }

    /// <summary>The header <c>kid</c> (already checked by <see cref="JwtHeaderRules.IsValidKid"/>), or null.</summary>
    public string? Kid { get; }

    /// <summary>The header <c>typ</c>, or null.</summary>
    public string? Type { get; }

    /// <summary>The payload object (a detached copy). Claims are read by exact, ordinal member name.</summary>
    public JsonElement Payload { get; }

    /// <summary>The <c>iss</c> string as written, unverified.</summary>
    public string? UnverifiedIssuer { get; }

    /// <summary>The <c>sub</c> string as written, unverified.</summary>
    public string? UnverifiedSubject { get; }

    internal ReadOnlySpan<byte> SigningInput => _signingInput;

    internal ReadOnlySpan<byte> Signature => _signature;

    /// <summary>
    /// The lower-case hex SHA-256 of the token text: what the audit record names instead of the token itself.
    /// </summary>
    public static string Fingerprint(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>
    /// Runs the shape checks that need no key: size, exactly three canonical base64url segments, JSON objects
    /// without duplicate members, the header allow-list, a supported <c>alg</c>, a well-formed <c>kid</c> and a string
    /// <c>typ</c>. Never throws for bad input.
    /// </summary>
    public static bool TryParse(string? token, int maxTokenBytes, out JwtToken? parsed, out JwtFailure failure)
    {
        parsed = null;
        if (string.IsNullOrEmpty(token))
        {
            failure = JwtFailure.Malformed;
            return false;
        }

        // Size first: nothing of an oversized token is decoded (pitfall row 19).
        if (token.Length > maxTokenBytes)
        {
            failure = JwtFailure.TooLarge;
            return false;
        }

        var dots = token.AsSpan().Count('.');
        if (dots != 2)
        {
            // Five segments is the JWE compact form (RFC 7516 §7.1); anything else, JSON serialization included, is
            // simply not a compact JWS (pitfall rows 17, 18).
            failure = dots == 4 ? JwtFailure.EncryptedTokenRefused : JwtFailure.Malformed;
            return false;
        }

        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = token.IndexOf('.', first + 1);
        var headerText = token.AsSpan(0, first);
        var payloadText = token.AsSpan(first + 1, second - first - 1);
        var signatureText = token.AsSpan(second + 1);
        if (headerText.IsEmpty || payloadText.IsEmpty
            || !Base64UrlStrict.TryDecode(headerText, out var headerBytes)
            || !Base64UrlStrict.TryDecode(payloadText, out var payloadBytes)
            || !Base64UrlStrict.TryDecode(signatureText, out var signature))
        {
            failure = JwtFailure.Malformed;
            return false;
        }

        failure = ReadObject(headerBytes, out var header);
        if (failure != JwtFailure.None)
        {
            return false;
        }

        foreach (var member in header.EnumerateObject())
        {
            if (!AllowedHeaderMembers.Contains(member.Name))
            {
                // crit, jku, x5u, jwk, x5c, x5t, cty, zip, enc, b64, or anything else (pitfall rows 14, 15, 17).
                failure = JwtFailure.HeaderNotAllowed;
                return false;
            }
        }

        if (!header.TryGetProperty("alg", out var algElement) || algElement.ValueKind != JsonValueKind.String
            || !JwtAlgorithms.IsSupported(algElement.GetString()))
        {
            failure = JwtFailure.AlgorithmNotAllowed;
            return false;
        }

        string? kid = null;
        if (header.TryGetProperty("kid", out var kidElement))
        {
            kid = kidElement.ValueKind == JsonValueKind.String ? kidElement.GetString() : null;
            if (!JwtHeaderRules.IsValidKid(kid))
            {
                failure = JwtFailure.KidInvalid;
                return false;
            }
        }

        string? typ = null;
        if (header.TryGetProperty("typ", out var typElement))
        {
            if (typElement.ValueKind != JsonValueKind.String)
            {
                failure = JwtFailure.TypeNotAllowed;
                return false;
            }

            typ = typElement.GetString();
        }

        failure = ReadObject(payloadBytes, out var payload);
        if (failure != JwtFailure.None)
        {
            return false;
        }

        var signingInput = Encoding.ASCII.GetBytes(token, 0, second);
        parsed = new JwtToken(algElement.GetString()!, kid, typ, payload, signingInput, signature);
        return true;
    }

    private static JwtFailure ReadObject(byte[] utf8, out JsonElement element)
    {
        element = default;
        try
        {
            using var document = JsonDocument.Parse(utf8, Strict);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return JwtFailure.Malformed;
            }

            element = document.RootElement.Clone();
            return JwtFailure.None;
        }
        catch (JsonException)
        {
            // Tell a duplicate member (well-formed JSON that parsers read differently, pitfall row 20) from junk.
            try
            {
                using var lenient = JsonDocument.Parse(utf8, Lenient);
                return JwtFailure.DuplicateMember;
            }
            catch (JsonException)
            {
                return JwtFailure.Malformed;
            }
        }
    }
}
