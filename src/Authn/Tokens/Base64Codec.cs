using System.Buffers;

namespace Secrets.Authn.Tokens;

/// <summary>The Base64 flavours the token wire format needs.</summary>
internal static class Base64Codec
{
    private static readonly SearchValues<char> UrlSafeAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private static readonly SearchValues<char> StandardAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

    /// <summary>
    /// URL-safe Base64 <b>with</b> <c>=</c> padding, as Ruby's <c>Base64.urlsafe_encode64</c> writes it (spec 3.2).
    /// The padding is kept on purpose: the Go SDK decodes <c>payload</c> with standard Base64 and needs it.
    /// </summary>
    public static string EncodeUrlSafePadded(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Decodes one field of the token JSON, accepting only the one encoding <see cref="EncodeUrlSafePadded"/>
    /// writes: the URL-safe alphabet, <c>=</c> padding to a multiple of four, and zero unused bits in the last
    /// character. Ruby's <c>urlsafe_decode64</c> also takes the unpadded form, but a signed field with several
    /// spellings lets one token exist in several byte forms (a different cache key, a different audit value, a
    /// replay that a byte comparison misses), so we accept the canonical one only. The strict alphabet also
    /// guarantees the field is ASCII, so the signing input is exactly the bytes the signer saw.
    /// </summary>
    public static bool TryDecodeUrlSafe(string text, out byte[] bytes)
    {
        var body = text.AsSpan().TrimEnd('=');
        var padding = text.Length - body.Length;
        if (text.Length % 4 != 0 || padding > 2 || body.ContainsAnyExcept(UrlSafeAlphabet)
            || !TryDecodeUnpadded(body.ToString().Replace('-', '+').Replace('_', '/'), out bytes))
        {
            bytes = [];
            return false;
        }

        // Padding and the alphabet are now right; re-encoding catches non-zero unused bits ("QR==" decodes to the
        // same byte as "QQ==").
        if (!string.Equals(EncodeUrlSafePadded(bytes), text, StringComparison.Ordinal))
        {
            bytes = [];
            return false;
        }

        return true;
    }

    /// <summary>
    /// Decodes the value inside <c>Token token="…"</c> the way Conjur tolerates it (spec 1.2): whitespace and
    /// newlines anywhere are ignored, padding is optional, and either alphabet is accepted (clients use the
    /// standard one; accepting <c>-</c>/<c>_</c> as well costs nothing). Any other character is an error rather
    /// than silently skipped as Ruby's <c>decode64</c> would, so garbage is reported as malformed.
    /// </summary>
    public static bool TryDecodeLenient(string text, out byte[] bytes)
    {
        var normalized = new char[text.Length];
        var length = 0;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                continue;
            }

            normalized[length++] = c switch
            {
                '-' => '+',
                '_' => '/',
                _ => c,
            };
        }

        var body = normalized.AsSpan(0, length);
        var unpadded = body.TrimEnd('=');
        if (body.Length - unpadded.Length > 2 || unpadded.ContainsAnyExcept(StandardAlphabet))
        {
            bytes = [];
            return false;
        }

        return TryDecodeUnpadded(unpadded.ToString(), out bytes);
    }

    private static bool TryDecodeUnpadded(string unpadded, out byte[] bytes)
    {
        if (unpadded.Length % 4 == 1)
        {
            bytes = [];
            return false;
        }

        var padded = (unpadded.Length % 4) switch
        {
            2 => unpadded + "==",
            3 => unpadded + "=",
            _ => unpadded,
        };
        var buffer = new byte[padded.Length / 4 * 3];
        if (!Convert.TryFromBase64String(padded, buffer, out var written))
        {
            bytes = [];
            return false;
        }

        bytes = buffer.AsSpan(0, written).ToArray();
        return true;
    }

}
