using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Secrets.Authn.Network;
using Secrets.Policy.Store;

namespace Secrets.Authn.Tokens;

/// <summary>
/// Conjur access tokens (spec 3): issuing the JSON token that <c>authenticate</c> returns, and verifying the
/// <c>Authorization: Token token="…"</c> header (spec 1.2, 3.3).
/// </summary>
/// <remarks>
/// <para>
/// Wire format, as Conjur's: the flattened JWS JSON serialization <c>{"protected":"…","payload":"…","signature":"…"}</c>,
/// each field URL-safe Base64 <b>with</b> padding; header <c>{"alg":…,"kid":…}</c>, claims <c>iat</c>, <c>sub</c>,
/// <c>exp</c> and optionally <c>cidr</c>.
/// </para>
/// <para>
/// DECISION: tokens are signed with ECDSA P-256 / SHA-256 (<c>alg</c> = <c>ES256</c>, RFC 7518 §3.4), the signature
/// being the 64-byte IEEE P1363 <c>r‖s</c> over the ASCII bytes of <c>&lt;protected&gt;.&lt;payload&gt;</c>, instead
/// of Conjur's <c>conjur.org/slosilo/v2</c> (a hand-rolled raw RSA-2048 PKCS#1 type-1 block without DigestInfo plus
/// a 32-byte salt, spec 3.2). Clients never verify tokens: they treat the signature as opaque, base64 the JSON and
/// send it back, so only this server needs to understand the algorithm. P-256 signs about 10x faster than
/// RSA-2048 (measured here: 41 µs against 360 µs), and using the platform's ECDSA means we write no raw RSA by
/// hand. The consequence: tokens minted by a real Conjur are not accepted here, and vice versa.
/// </para>
/// </remarks>
public static partial class AccessTokens
{
    /// <summary>The JWS <c>alg</c> we sign with and accept.</summary>
    public const string Algorithm = "ES256";

    /// <summary>401 body when no token header is present.</summary>
    public const string MissingMessage = "Authorization missing";

    /// <summary>401 body when the header does not carry a token in the JSON form.</summary>
    public const string MalformedMessage = "Malformed authorization token";

    /// <summary>401 body for an unknown key, bad signature, wrong algorithm or expired token.</summary>
    public const string InvalidMessage = "Unauthorized: Invalid token";

    /// <summary>401 body for a claim outside <c>iat exp cidr sub iss aud jti</c>.</summary>
    public const string UnrecognizedClaimsMessage = "token contains unrecognized claims";

    /// <summary>Token lifetime when none is configured, and the expiry of a token without <c>exp</c> (spec 3.2, 3.3).</summary>
    public static readonly TimeSpan DefaultTimeToLive = TimeSpan.FromSeconds(480);

    /// <summary>The longest lifetime Conjur allows (spec 3.2: TTLs are clamped to 5 hours).</summary>
    public static readonly TimeSpan MaximumTimeToLive = TimeSpan.FromHours(5);

    // A header this long is not a token we issued (ours are well under 1 KiB once base64-wrapped); refusing it
    // early bounds the work done on attacker input.
    private const int MaxHeaderLength = 16 * 1024;

    private const int SignatureLength = 64;

    private static readonly HashSet<string> AllowedClaims = new(StringComparer.Ordinal)
    {
        "iat", "exp", "cidr", "sub", "iss", "aud", "jti",
    };

    private static readonly JsonDocumentOptions StrictJson = new()
    {
        MaxDepth = 8,
        // Two "exp" members could be read differently by different parsers; refuse the ambiguity.
        AllowDuplicateProperties = false,
    };

    private static readonly SearchValues<char> LowercaseHex = SearchValues.Create("0123456789abcdef");

    /// <summary>
    /// Signs a token for <paramref name="subject"/> and returns its compact JSON
    /// (<c>{"protected":"…","payload":"…","signature":"…"}</c>), the 200 body of <c>authenticate</c>.
    /// </summary>
    /// <param name="key">The account's signing key.</param>
    /// <param name="subject">The login (<c>alice</c>, <c>host/app/01</c>); see <see cref="FullId.ToLogin"/>.</param>
    /// <param name="issuedAt">The issue time (from the injected <see cref="TimeProvider"/>); sub-second parts are dropped.</param>
    /// <param name="timeToLive">The lifetime: whole seconds, from 1 s to <see cref="MaximumTimeToLive"/>.</param>
    /// <param name="cidrs">Optional <c>cidr</c> claim restricting where the token may be presented.</param>
    /// <exception cref="ArgumentException">A bad subject, lifetime or CIDR: a programming error.</exception>
    public static string Issue(
        TokenSigningKey key,
        string subject,
        DateTimeOffset issuedAt,
        TimeSpan timeToLive,
        IReadOnlyList<string>? cidrs = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeToLive, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timeToLive, MaximumTimeToLive);
        foreach (var cidr in cidrs ?? [])
        {
            if (!CidrRestriction.TryParse(cidr, out _))
            {
                throw new ArgumentException($"Not a CIDR: '{cidr}'.", nameof(cidrs));
            }
        }

        var iat = issuedAt.ToUnixTimeSeconds();
        var payload = WriteJson(writer =>
        {
            // Conjur's claim order; clients parse JSON, so order only matters for byte-level comparisons.
            writer.WriteNumber("iat", iat);
            writer.WriteString("sub", subject);
            writer.WriteNumber("exp", iat + (long)timeToLive.TotalSeconds);
            if (cidrs is { Count: > 0 })
            {
                writer.WriteStartArray("cidr");
                foreach (var cidr in cidrs)
                {
                    writer.WriteStringValue(cidr.Trim());
                }

                writer.WriteEndArray();
            }
        });
        var header = WriteJson(writer =>
        {
            writer.WriteString("alg", Algorithm);
            writer.WriteString("kid", key.Kid);
        });
        return Sign(key, header, payload);
    }

    /// <summary>
    /// Strict standard Base64 (no newlines) of the token JSON: the value for <c>Token token="…"</c> and the body of
    /// <c>authenticate</c> under <c>Accept-Encoding: base64</c> (spec 2.1).
    /// </summary>
    public static string ToBase64(string tokenJson) => Convert.ToBase64String(Encoding.UTF8.GetBytes(tokenJson));

    /// <summary>The <c>Authorization</c> header value carrying <paramref name="tokenJson"/>.</summary>
    public static string FormatAuthorizationHeader(string tokenJson) => $"Token token=\"{ToBase64(tokenJson)}\"";

    /// <summary>The exact 401 body Conjur sends for <paramref name="error"/> (spec 1.2).</summary>
    public static string MessageFor(AccessTokenError error) => error switch
    {
        AccessTokenError.Missing => MissingMessage,
        AccessTokenError.Malformed => MalformedMessage,
        AccessTokenError.Invalid => InvalidMessage,
        AccessTokenError.UnrecognizedClaims => UnrecognizedClaimsMessage,
        _ => throw new ArgumentOutOfRangeException(nameof(error)),
    };

    /// <summary>
    /// Verifies an <c>Authorization</c> header value. Never throws for bad input: every outcome is in the result.
    /// </summary>
    /// <param name="authorizationHeader">The raw header value, or null when absent.</param>
    /// <param name="resolveKey">Finds the key named by the token's <c>kid</c>, and its account.</param>
    /// <param name="now">The current time (from the injected <see cref="TimeProvider"/>).</param>
    /// <remarks>
    /// The steps follow spec 3.3 with one change of order: the signature is checked before the payload is even
    /// decoded, so nothing an attacker wrote into the claims is interpreted unless we signed it. Which 401
    /// message a forged token gets can therefore differ from Conjur's; the status cannot.
    /// </remarks>
    public static AccessTokenResult Verify(string? authorizationHeader, TokenKeyResolver resolveKey, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(resolveKey);

        // 1. Header and envelope (spec 1.2). Conjur answers "Authorization missing" for any header that is not
        //    `Token token="…"` (a Basic or Bearer header included), not "malformed".
        if (string.IsNullOrWhiteSpace(authorizationHeader))
        {
            return Fail(AccessTokenError.Missing, "no Authorization header");
        }

        if (authorizationHeader.Length > MaxHeaderLength)
        {
            return Fail(AccessTokenError.Malformed, "Authorization header too long");
        }

        var match = TokenHeaderPattern().Match(authorizationHeader);
        if (!match.Success)
        {
            return Fail(AccessTokenError.Missing, "Authorization header is not 'Token token=\"…\"'");
        }

        if (!Base64Codec.TryDecodeLenient(match.Groups[1].Value, out var envelopeBytes))
        {
            return Fail(AccessTokenError.Malformed, "token is not Base64");
        }

        // The JSON serialization only: a compact `a.b.c` JWT is not JSON and lands here (spec 3.2).
        if (!TryReadEnvelope(envelopeBytes, out var protectedPart, out var payloadPart, out var signaturePart)
            || !Base64Codec.TryDecodeUrlSafe(protectedPart, out var headerBytes)
            || !Base64Codec.TryDecodeUrlSafe(payloadPart, out var payloadBytes)
            || !Base64Codec.TryDecodeUrlSafe(signaturePart, out var signature)
            || !TryReadHeader(headerBytes, out var alg, out var kid, out var hasCritical))
        {
            return Fail(AccessTokenError.Malformed, "token is not a JSON-serialized JWS");
        }

        // 2. Key and algorithm (spec 3.3 step 2). The kid format is checked before the lookup so the resolver
        //    only ever sees a plausible fingerprint.
        if (kid.Length != 64 || kid.AsSpan().ContainsAnyExcept(LowercaseHex))
        {
            return Fail(AccessTokenError.Invalid, "kid is not a key fingerprint");
        }

        var trusted = resolveKey(kid);
        if (trusted is null)
        {
            return Fail(AccessTokenError.Invalid, $"no signing key with kid {kid}");
        }

        if (!string.Equals(alg, Algorithm, StringComparison.Ordinal))
        {
            return Fail(AccessTokenError.Invalid, "unsupported alg");
        }

        // RFC 7515 §4.1.11: a "crit" header names extensions the verifier must understand; we understand none.
        if (hasCritical)
        {
            return Fail(AccessTokenError.Invalid, "unsupported critical header");
        }

        // 3. Signature over the exact received `<protected>.<payload>` text (both fields are ASCII, checked above).
        var signingInput = Encoding.ASCII.GetBytes(string.Concat(protectedPart, ".", payloadPart));
        if (signature.Length != SignatureLength || !trusted.Key.Verify(signingInput, signature))
        {
            return Fail(AccessTokenError.Invalid, "signature mismatch");
        }

        // A valid signature has a twin, (r, n - s); we issue the low-s one only and accept nothing else, so a
        // token has exactly one encoding (the fields are canonical base64url too, see Base64Codec).
        if (!LowS.IsLow(signature))
        {
            return Fail(AccessTokenError.Invalid, "signature is not in the canonical low-s form");
        }

        // 4. Claims (spec 3.3 steps 3-5), read only now that we know we wrote them.
        return ReadClaims(payloadBytes, trusted.Account, kid, now);
    }

    /// <summary>Signs raw header and payload JSON. Internal so tests can forge tokens with odd claims.</summary>
    internal static string Sign(TokenSigningKey key, ReadOnlySpan<byte> headerJson, ReadOnlySpan<byte> payloadJson)
    {
        var protectedPart = Base64Codec.EncodeUrlSafePadded(headerJson);
        var payloadPart = Base64Codec.EncodeUrlSafePadded(payloadJson);
        var signature = key.Sign(Encoding.ASCII.GetBytes(string.Concat(protectedPart, ".", payloadPart)));
        var token = WriteJson(writer =>
        {
            writer.WriteString("protected", protectedPart);
            writer.WriteString("payload", payloadPart);
            writer.WriteString("signature", Base64Codec.EncodeUrlSafePadded(signature));
        });
        return Encoding.UTF8.GetString(token);
    }

    private static AccessTokenResult ReadClaims(byte[] payloadBytes, string account, string kid, DateTimeOffset now)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payloadBytes, StrictJson);
        }
        catch (JsonException)
        {
            return Fail(AccessTokenError.Malformed, "payload is not JSON");
        }

        using (document)
        {
            var claims = document.RootElement;
            if (claims.ValueKind != JsonValueKind.Object)
            {
                return Fail(AccessTokenError.Malformed, "payload is not a JSON object");
            }

            if (!claims.TryGetProperty("iat", out var iatElement))
            {
                return Fail(AccessTokenError.Invalid, "iat claim missing");
            }

            if (!TryReadTime(iatElement, out var issuedAt))
            {
                return Fail(AccessTokenError.Invalid, "iat claim is not a time");
            }

            var expiresAt = issuedAt + DefaultTimeToLive;
            if (claims.TryGetProperty("exp", out var expElement) && !TryReadTime(expElement, out expiresAt))
            {
                return Fail(AccessTokenError.Invalid, "exp claim is not a time");
            }

            // Expired at the exp second itself (spec 3.3: reject if exp <= now).
            if (expiresAt.ToUnixTimeSeconds() <= now.ToUnixTimeSeconds())
            {
                return Fail(AccessTokenError.Invalid, $"token expired at {expiresAt:O}");
            }

            foreach (var claim in claims.EnumerateObject())
            {
                if (!AllowedClaims.Contains(claim.Name))
                {
                    return Fail(AccessTokenError.UnrecognizedClaims, "unrecognized claim");
                }
            }

            if (!claims.TryGetProperty("sub", out var subElement) || subElement.ValueKind != JsonValueKind.String
                || subElement.GetString() is not { Length: > 0 } subject
                || FullId.FromLogin(account, subject) is not { } roleId)
            {
                return Fail(AccessTokenError.Invalid, "sub claim missing or not a login");
            }

            if (!TryReadCidrs(claims, out var cidrs))
            {
                return Fail(AccessTokenError.Invalid, "cidr claim is not a list of CIDRs");
            }

            return AccessTokenResult.Success(new VerifiedAccessToken(account, subject, roleId, issuedAt, expiresAt, cidrs, kid));
        }
    }

    private static bool TryReadEnvelope(byte[] json, out string protectedPart, out string payloadPart, out string signaturePart)
    {
        protectedPart = payloadPart = signaturePart = string.Empty;
        try
        {
            using var document = JsonDocument.Parse(json, StrictJson);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !TryGetString(root, "protected", out protectedPart)
                || !TryGetString(root, "payload", out payloadPart)
                || !TryGetString(root, "signature", out signaturePart))
            {
                return false;
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryReadHeader(byte[] json, out string alg, out string kid, out bool hasCritical)
    {
        alg = kid = string.Empty;
        hasCritical = false;
        try
        {
            using var document = JsonDocument.Parse(json, StrictJson);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !TryGetString(root, "alg", out alg)
                || !TryGetString(root, "kid", out kid))
            {
                return false;
            }

            hasCritical = root.TryGetProperty("crit", out _);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryGetString(JsonElement obj, string name, out string value)
    {
        value = string.Empty;
        if (!obj.TryGetProperty(name, out var element) || element.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        // JsonDocument checks structure, not the UTF-8 inside strings: GetString throws on bytes such as 0xFF.
        // An envelope or header with such a string is simply not a token (401), never an unexpected error.
        try
        {
            value = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // NumericDate (RFC 7519 §2): seconds, possibly fractional; fractions are dropped as Ruby's Time#to_i does.
    private static bool TryReadTime(JsonElement element, out DateTimeOffset time)
    {
        time = default;
        if (element.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        long seconds;
        if (element.TryGetInt64(out var integer))
        {
            seconds = integer;
        }
        else if (element.TryGetDouble(out var real) && double.IsFinite(real) && Math.Abs(real) < 1e15)
        {
            seconds = (long)Math.Floor(real);
        }
        else
        {
            return false;
        }

        if (seconds < DateTimeOffset.MinValue.ToUnixTimeSeconds() || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return false;
        }

        time = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return true;
    }

    // conjur-rack reads the claim with Ruby's Array(), so a single string is a one-element list; JSON null is
    // no restriction.
    private static bool TryReadCidrs(JsonElement claims, out IReadOnlyList<string> cidrs)
    {
        cidrs = [];
        if (!claims.TryGetProperty("cidr", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        var list = new List<string>();
        if (element.ValueKind == JsonValueKind.String)
        {
            list.Add(element.GetString()!);
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    return false;
                }

                list.Add(item.GetString()!);
            }
        }
        else
        {
            return false;
        }

        // A range we cannot parse could never match; refusing the token says so plainly instead of 403ing later.
        if (list.Exists(cidr => !CidrRestriction.TryParse(cidr, out _)))
        {
            return false;
        }

        cidrs = list;
        return true;
    }

    private static byte[] WriteJson(Action<Utf8JsonWriter> writeMembers)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeMembers(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static AccessTokenResult Fail(AccessTokenError error, string detail) => AccessTokenResult.Failure(error, detail);

    // Conjur matches ^Token token="(.*)" (spec 1.2); we let `.` cross lines so a value with embedded newlines is
    // still captured whole, and the greedy group runs to the last quote. The scheme is matched case-insensitively
    // (RFC 9110 §11.1); the length cap above bounds the backtracking.
    [GeneratedRegex(@"^\s*Token\s+token=""(.*)""",
        RegexOptions.Multiline | RegexOptions.Singleline | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant,
        matchTimeoutMilliseconds: 1000)]
    private static partial Regex TokenHeaderPattern();
}
