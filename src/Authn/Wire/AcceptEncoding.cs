using System.Globalization;

namespace Secrets.Authn.Wire;

/// <summary>
/// The two ways Conjur reads <c>Accept-Encoding: base64</c>. It is not a real content coding: clients use it to ask
/// for Base64 bodies, and the two endpoints that honour it read the header differently.
/// </summary>
public static class AcceptEncoding
{
    private const string Base64 = "base64";

    /// <summary>
    /// The <c>authenticate</c> rule (spec 2.1): whether <c>base64</c> is one element of the comma-separated list,
    /// case-insensitively, whitespace tolerated (<c>gzip, bASe64 ,br</c> → true). Parameters after <c>;</c> are
    /// ignored, except that <c>base64;q=0</c> explicitly refuses it (RFC 9110 §12.5.3).
    /// </summary>
    /// <param name="headerValue">The header value (several header lines joined with commas), or null.</param>
    public static bool ListsBase64(string? headerValue)
    {
        if (string.IsNullOrEmpty(headerValue))
        {
            return false;
        }

        foreach (var element in headerValue.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var semicolon = element.IndexOf(';', StringComparison.Ordinal);
            var coding = (semicolon < 0 ? element : element[..semicolon]).TrimEnd();
            if (!coding.Equals(Base64, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            return semicolon < 0 || !HasZeroQuality(element[(semicolon + 1)..]);
        }

        return false;
    }

    /// <summary>
    /// The batch-secrets rule (<c>GET /secrets?variable_ids=…</c>, spec 2.4): whether the whole header value,
    /// trimmed, is <c>base64</c> (case-insensitive). <c>gzip, base64</c> does not count there.
    /// </summary>
    public static bool IsExactlyBase64(string? headerValue) =>
        headerValue is not null && headerValue.Trim().Equals(Base64, StringComparison.OrdinalIgnoreCase);

    private static bool HasZeroQuality(string parameters)
    {
        foreach (var parameter in parameters.Split(';', StringSplitOptions.TrimEntries))
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && parameter[..equals].Trim().Equals("q", StringComparison.OrdinalIgnoreCase))
            {
                return decimal.TryParse(
                        parameter.AsSpan(equals + 1).Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var quality)
                    && quality == 0;
            }
        }

        return false;
    }
}
