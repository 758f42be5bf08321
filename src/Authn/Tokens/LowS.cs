using System.Numerics;

namespace Secrets.Authn.Tokens;

/// <summary>
/// The canonical form of a P-256 ECDSA signature: <c>s</c> in the lower half of the group order.
/// </summary>
/// <remarks>
/// ECDSA is malleable: if <c>(r, s)</c> is a valid signature, so is <c>(r, n − s)</c> (the same point with the
/// other y). Both would verify, so one token would have two byte forms, each passing as a different token to
/// anything that compares tokens as bytes (our verified-token cache key, an audit value, a replay filter). Like
/// Bitcoin's BIP 62/146 rule and libsecp256k1, we sign with <c>s ≤ n/2</c> and accept nothing else.
/// </remarks>
internal static class LowS
{
    private const int FieldLength = 32;

    // The order n of the P-256 base point (FIPS 186-4 D.1.2.3 / SEC 2 §2.4.2), and n / 2 rounded down.
    private static readonly BigInteger Order = new(
        Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"), isUnsigned: true, isBigEndian: true);

    private static readonly BigInteger HalfOrder = Order >> 1;

    /// <summary>Whether the IEEE P1363 <c>r‖s</c> signature has a low <c>s</c> (false for any other length).</summary>
    public static bool IsLow(ReadOnlySpan<byte> signature) =>
        signature.Length == 2 * FieldLength && S(signature) <= HalfOrder;

    /// <summary>The signature with <c>s</c> replaced by <c>n − s</c> when it is high; an equally valid signature.</summary>
    public static byte[] Normalize(byte[] signature)
    {
        if (signature.Length != 2 * FieldLength)
        {
            throw new ArgumentException("Not a P-256 IEEE P1363 signature.", nameof(signature));
        }

        var s = S(signature);
        if (s <= HalfOrder)
        {
            return signature;
        }

        return WithS(signature, Order - s);
    }

    /// <summary>The other signature of the same message: <c>(r, n − s)</c>. For tests that forge the high form.</summary>
    internal static byte[] Flip(ReadOnlySpan<byte> signature) => WithS(signature, Order - S(signature));

    private static BigInteger S(ReadOnlySpan<byte> signature) =>
        new(signature[FieldLength..], isUnsigned: true, isBigEndian: true);

    private static byte[] WithS(ReadOnlySpan<byte> signature, BigInteger s)
    {
        var result = new byte[2 * FieldLength];
        signature[..FieldLength].CopyTo(result);
        var written = s.GetByteCount(isUnsigned: true);
        if (!s.TryWriteBytes(result.AsSpan(2 * FieldLength - written), out _, isUnsigned: true, isBigEndian: true))
        {
            throw new InvalidOperationException("s does not fit in 32 bytes.");
        }

        return result;
    }
}
