using System.Text;
using System.Text.RegularExpressions;

namespace Secrets.Server.Variables;

/// <summary>Checks on secret values as they arrive and leave (spec 2.4): blankness, public-key shape, UTF-8, mime types.</summary>
internal static partial class SecretValues
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Ruby's <c>String#blank?</c> on the raw (binary) body, which is how Conjur refuses a value: empty, or only ASCII
    /// whitespace (space, \t, \n, \v, \f, \r).
    /// </summary>
    public static bool IsBlank(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\n' or 0x0B or 0x0C or (byte)'\r'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A <c>public_key</c> value must be one OpenSSH key line, <c>&lt;type&gt; &lt;base64&gt; [comment]</c>, with type
    /// <c>ssh-rsa</c>, <c>ssh-ed25519</c>, <c>ssh-dss</c>, <c>ssh-ecdsa-…</c> or OpenSSH's own
    /// <c>ecdsa-sha2-nistp256/384/521</c> (spec 2.4). Surrounding whitespace is tolerated; a second line is not.
    /// </summary>
    public static bool IsPublicKey(ReadOnlySpan<byte> value) =>
        TryDecodeUtf8(value, out var text) && PublicKeyLine().IsMatch(text.Trim(' ', '\t', '\n', '\v', '\f', '\r'));

    /// <summary>Strict UTF-8 decoding (no replacement characters): JSON can only carry text (spec 2.4, 406).</summary>
    public static bool TryDecodeUtf8(ReadOnlySpan<byte> value, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(value);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    /// <summary>
    /// The Content-Type of a fetched secret: the <c>conjur/mime_type</c> annotation verbatim, as Rails' send_data does,
    /// unless it could not be sent as a header value (empty, non-ASCII or control characters), then the default.
    /// </summary>
    public static string ContentType(string? mimeType) =>
        !string.IsNullOrWhiteSpace(mimeType) && mimeType.All(c => c is >= ' ' and <= '~')
            ? mimeType
            : "application/octet-stream";

    [GeneratedRegex(@"\A(?:ssh-(?:rsa|dss|ed25519|ecdsa-[A-Za-z0-9@.\-]+)|ecdsa-sha2-nistp(?:256|384|521))[ \t]+[A-Za-z0-9+/]+={0,2}(?:[ \t]+[^\r\n]*)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex PublicKeyLine();
}
