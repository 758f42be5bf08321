namespace Secrets.Authn.Wire;

/// <summary>Base64 the way Ruby's <c>Base64.encode64</c> writes it, for byte-compatible Conjur responses.</summary>
public static class RubyBase64
{
    // Ruby's pack("m") default: 45 input bytes, i.e. 60 output characters, per line.
    private const int LineLength = 60;

    /// <summary>
    /// Standard-alphabet Base64 with padding, a <c>\n</c> after every 60 characters and after the last line
    /// (<c>"abc"</c> → <c>"YWJj\n"</c>); empty input gives an empty string, as in Ruby.
    /// </summary>
    public static string Encode64(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        var base64 = Convert.ToBase64String(bytes);
        var lines = (base64.Length + LineLength - 1) / LineLength;
        return string.Create(base64.Length + lines, base64, static (output, text) =>
        {
            var written = 0;
            for (var start = 0; start < text.Length; start += LineLength)
            {
                var line = text.AsSpan(start, Math.Min(LineLength, text.Length - start));
                line.CopyTo(output[written..]);
                written += line.Length;
                output[written++] = '\n';
            }
        });
    }
}
