using System.Buffers;
using System.Buffers.Text;

namespace Secrets.Authn.Jwt;

/// <summary>
/// Canonical base64url without padding (RFC 7515 §2, RFC 4648 §5): only <c>A–Z a–z 0–9 - _</c>, no <c>=</c>, no
/// whitespace, and the unused low bits of the last character must be zero. Every byte string therefore has exactly
/// one accepted encoding, so two tokens that differ in text never carry the same signed bytes.
/// </summary>
internal static class Base64UrlStrict
{
    private static readonly SearchValues<char> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 4 == 1 || text.ContainsAnyExcept(Alphabet))
        {
            return false;
        }

        try
        {
            bytes = Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return false;
        }

        // Non-canonical trailing bits ("eA" and "eB" both decode to "x") are refused by re-encoding. The .NET 10
        // decoder already refuses them itself; the comparison keeps the guarantee independent of that behaviour.
        return Base64Url.EncodeToString(bytes).AsSpan().SequenceEqual(text);
    }

    public static bool TryDecode(string? text, out byte[] bytes)
    {
        if (text is null)
        {
            bytes = [];
            return false;
        }

        return TryDecode(text.AsSpan(), out bytes);
    }
}
