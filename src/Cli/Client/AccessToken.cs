using System.Text;
using System.Text.Json;

namespace Secrets.Cli.Client;

/// <summary>
/// A Conjur access token: the JSON (JWS flattened serialization) returned by <c>authenticate</c>.
/// The client sends it as <c>Authorization: Token token="&lt;base64 of the JSON&gt;"</c> (spec §1.2, §3.4).
/// </summary>
public sealed class AccessToken
{
    /// <summary>Refresh after this share of the lifetime (the Go SDK's rule, spec §3.4).</summary>
    private const double RefreshShareOfLifetime = 0.85;

    /// <summary>Refresh interval when the token carries no expiry the client can read.</summary>
    private static readonly TimeSpan FallbackLifetime = TimeSpan.FromMinutes(5);

    private AccessToken(string json, DateTimeOffset obtainedAt, DateTimeOffset? issuedAt, DateTimeOffset? expiresAt, string? subject)
    {
        Json = json;
        ObtainedAt = obtainedAt;
        IssuedAt = issuedAt;
        ExpiresAt = expiresAt;
        Subject = subject;
        RefreshAt = ComputeRefreshAt(obtainedAt, issuedAt, expiresAt);
    }

    /// <summary>The token JSON exactly as the server returned it.</summary>
    public string Json { get; }

    /// <summary>When this client received the token.</summary>
    public DateTimeOffset ObtainedAt { get; }

    /// <summary>The <c>iat</c> claim, if the payload could be read.</summary>
    public DateTimeOffset? IssuedAt { get; }

    /// <summary>The <c>exp</c> claim, if present.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The <c>sub</c> claim: the login (<c>alice</c>, <c>host/app/01</c>), if present.</summary>
    public string? Subject { get; }

    /// <summary>When the token should be replaced: at 85 % of its lifetime, or 5 minutes after receipt without <c>exp</c>.</summary>
    public DateTimeOffset RefreshAt { get; }

    /// <summary>Standard Base64 of the token JSON: the value inside <c>Token token="…"</c>.</summary>
    public string Base64 => Convert.ToBase64String(Encoding.UTF8.GetBytes(Json));

    /// <summary>The full <c>Authorization</c> header value.</summary>
    public string AuthorizationHeaderValue => $"Token token=\"{Base64}\"";

    /// <summary>True while the token is younger than its refresh point.</summary>
    public bool IsFresh(DateTimeOffset now) => now < RefreshAt;

    /// <summary>
    /// Reads a token from its JSON form, or from the Base64 of it (as written by some sidecars).
    /// Claims are read on a best-effort basis; an opaque token is still usable and refreshed after 5 minutes.
    /// </summary>
    public static AccessToken Parse(string text, DateTimeOffset obtainedAt)
    {
        ArgumentNullException.ThrowIfNull(text);
        var json = text.Trim();
        if (!json.StartsWith('{'))
        {
            try
            {
                json = Encoding.UTF8.GetString(Convert.FromBase64String(json)).Trim();
            }
            catch (FormatException)
            {
                throw new FormatException("The access token is neither JSON nor Base64 of JSON.");
            }
        }

        DateTimeOffset? issuedAt = null;
        DateTimeOffset? expiresAt = null;
        string? subject = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("payload", out var payload)
                && payload.ValueKind == JsonValueKind.String)
            {
                using var claims = JsonDocument.Parse(DecodeBase64Url(payload.GetString()!));
                var root = claims.RootElement;
                issuedAt = ReadUnixTime(root, "iat");
                expiresAt = ReadUnixTime(root, "exp");
                subject = root.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String ? sub.GetString() : null;
            }
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            // Opaque payload: keep the token, fall back to the 5-minute refresh rule.
        }

        return new AccessToken(json, obtainedAt, issuedAt, expiresAt, subject);
    }

    /// <inheritdoc />
    public override string ToString() => $"AccessToken(sub={Subject ?? "?"}, exp={ExpiresAt?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "?"})";

    private static DateTimeOffset ComputeRefreshAt(DateTimeOffset obtainedAt, DateTimeOffset? issuedAt, DateTimeOffset? expiresAt)
    {
        if (expiresAt is { } exp)
        {
            var start = issuedAt ?? obtainedAt;
            var lifetime = exp - start;
            return lifetime > TimeSpan.Zero ? start + (lifetime * RefreshShareOfLifetime) : exp;
        }

        return obtainedAt + FallbackLifetime;
    }

    private static DateTimeOffset? ReadUnixTime(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    /// <summary>The token fields are URL-safe Base64 with padding (spec §3.2); tolerate both alphabets and missing padding.</summary>
    private static byte[] DecodeBase64Url(string value)
    {
        var standard = value.Replace('-', '+').Replace('_', '/').TrimEnd('=');
        standard = standard.PadRight(standard.Length + ((4 - (standard.Length % 4)) % 4), '=');
        return Convert.FromBase64String(standard);
    }
}
