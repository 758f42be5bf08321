using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Secrets.Authn.Spiffe;

/// <summary>Why a forwarded client certificate header was refused.</summary>
public enum ForwardedCertificateError
{
    /// <summary>A certificate was read.</summary>
    None = 0,

    /// <summary>Missing, empty, or longer than <see cref="ForwardedClientCertificate.MaxHeaderLength"/>.</summary>
    Missing,

    /// <summary>Not well-formed XFCC (unbalanced quotes, a pair without <c>=</c>, a key given twice).</summary>
    Malformed,

    /// <summary>The element has no <c>Cert</c>: a bare <c>URI=</c> (or <c>Hash=</c>) is never an identity.</summary>
    NoCertificate,

    /// <summary><c>Cert</c> or <c>Chain</c> is not URL-encoded PEM of X.509 certificates.</summary>
    InvalidCertificate,
}

/// <summary>
/// Reads the client certificate a TLS-terminating proxy forwards: Envoy's <c>x-forwarded-client-cert</c> (XFCC, as
/// Istio sends it) or a PEM header. Only the <b>certificate itself</b> counts; it then goes through the same
/// <see cref="X509SvidValidator"/> as a direct mTLS peer. The <c>URI</c>, <c>DNS</c>, <c>Subject</c> and <c>Hash</c>
/// fields are never trusted, because they are claims about a certificate and not the certificate.
/// </summary>
/// <remarks>
/// The caller reads the header only when the direct peer is a trusted proxy. The XFCC value is a comma-separated list
/// of elements, each a <c>;</c>-separated list of <c>key=value</c> pairs whose values may be double-quoted (with
/// <c>\"</c> escapes). Proxies append their element, so the <b>last</b> element is the one written by the trusted
/// proxy in front of the server; earlier elements come from further away and are ignored.
/// </remarks>
public static class ForwardedClientCertificate
{
    /// <summary>The longest header read: 64 KiB.</summary>
    public const int MaxHeaderLength = 64 * 1024;

    /// <summary>
    /// Reads the leaf from the last XFCC element's <c>Cert</c>, and the intermediates from its <c>Chain</c> (leaf
    /// excluded). Never throws for bad input; the certificates belong to the caller.
    /// </summary>
    public static ForwardedCertificateError TryReadXfcc(string? header, out X509Certificate2? leaf, out X509Certificate2Collection intermediates)
    {
        leaf = null;
        intermediates = [];
        if (string.IsNullOrEmpty(header) || header.Length > MaxHeaderLength)
        {
            return ForwardedCertificateError.Missing;
        }

        var elements = Split(header, ',');
        if (elements is null || elements.Count == 0)
        {
            return ForwardedCertificateError.Malformed;
        }

        var pairs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var parts = Split(elements[^1], ';');
        if (parts is null)
        {
            return ForwardedCertificateError.Malformed;
        }

        foreach (var part in parts)
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return ForwardedCertificateError.Malformed;
            }

            var key = part[..equals].Trim();
            var value = Unquote(part[(equals + 1)..].Trim());
            if (value is null)
            {
                return ForwardedCertificateError.Malformed;
            }

            // URI may legitimately repeat in Envoy's output; a repeated Cert or Chain is ambiguous.
            if (!pairs.TryAdd(key, value)
                && (key.Equals("Cert", StringComparison.OrdinalIgnoreCase) || key.Equals("Chain", StringComparison.OrdinalIgnoreCase)))
            {
                return ForwardedCertificateError.Malformed;
            }
        }

        if (!pairs.TryGetValue("Cert", out var certValue) || certValue.Length == 0)
        {
            return ForwardedCertificateError.NoCertificate;
        }

        var certs = ReadPem(UrlDecode(certValue));
        if (certs is not { Count: 1 })
        {
            Dispose(certs);
            return ForwardedCertificateError.InvalidCertificate;
        }

        if (pairs.TryGetValue("Chain", out var chainValue) && chainValue.Length > 0)
        {
            var chain = ReadPem(UrlDecode(chainValue));
            if (chain is null)
            {
                Dispose(certs);
                return ForwardedCertificateError.InvalidCertificate;
            }

            foreach (var certificate in chain)
            {
                if (certificate.RawDataMemory.Span.SequenceEqual(certs[0].RawDataMemory.Span))
                {
                    certificate.Dispose();
                }
                else
                {
                    intermediates.Add(certificate);
                }
            }
        }

        leaf = certs[0];
        return ForwardedCertificateError.None;
    }

    /// <summary>
    /// Reads a PEM client-certificate header (nginx <c>$ssl_client_escaped_cert</c>: URL-encoded PEM; a raw PEM whose
    /// line breaks a proxy replaced by spaces is also read). The first certificate is the leaf, the rest intermediates.
    /// </summary>
    public static ForwardedCertificateError TryReadPem(string? header, out X509Certificate2? leaf, out X509Certificate2Collection intermediates)
    {
        leaf = null;
        intermediates = [];
        if (string.IsNullOrEmpty(header) || header.Length > MaxHeaderLength)
        {
            return ForwardedCertificateError.Missing;
        }

        var text = header.Contains('%', StringComparison.Ordinal) ? UrlDecode(header) : header;
        var certs = ReadPem(text?.Replace("-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE-----\n", StringComparison.Ordinal)
            .Replace("-----END CERTIFICATE-----", "\n-----END CERTIFICATE-----", StringComparison.Ordinal));
        if (certs is not { Count: > 0 })
        {
            return ForwardedCertificateError.InvalidCertificate;
        }

        leaf = certs[0];
        for (var i = 1; i < certs.Count; i++)
        {
            intermediates.Add(certs[i]);
        }

        return ForwardedCertificateError.None;
    }

    private static List<string>? Split(string text, char separator)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted && c == '\\' && i + 1 < text.Length)
            {
                current.Append(c).Append(text[++i]);
                continue;
            }

            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == separator && !quoted)
            {
                result.Add(current.ToString());
                current.Clear();
                continue;
            }

            current.Append(c);
        }

        if (quoted)
        {
            return null;
        }

        result.Add(current.ToString());
        return result;
    }

    private static string? Unquote(string value)
    {
        if (value.Length == 0 || value[0] != '"')
        {
            return value.Contains('"', StringComparison.Ordinal) ? null : value;
        }

        if (value.Length < 2 || value[^1] != '"')
        {
            return null;
        }

        var inner = value[1..^1];
        var result = new StringBuilder(inner.Length);
        for (var i = 0; i < inner.Length; i++)
        {
            if (inner[i] == '\\' && i + 1 < inner.Length)
            {
                i++;
            }
            else if (inner[i] == '"')
            {
                return null;
            }

            result.Append(inner[i]);
        }

        return result.ToString();
    }

    private static string? UrlDecode(string value)
    {
        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            return null;
        }
    }

    private static List<X509Certificate2>? ReadPem(string? pem)
    {
        if (pem is null)
        {
            return null;
        }

        var result = new List<X509Certificate2>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            var data = rest[fields.Base64Data];
            rest = rest[fields.Location.End..];
            var bytes = new byte[fields.DecodedDataLength];
            if (!label.SequenceEqual("CERTIFICATE") || !Convert.TryFromBase64Chars(data, bytes, out var written))
            {
                Dispose(result);
                return null;
            }

            try
            {
                result.Add(X509CertificateLoader.LoadCertificate(bytes.AsSpan(0, written)));
            }
            catch (CryptographicException)
            {
                Dispose(result);
                return null;
            }
        }

        if (!rest.Trim().IsEmpty)
        {
            Dispose(result);
            return null;
        }

        return result;
    }

    private static void Dispose(List<X509Certificate2>? certificates)
    {
        foreach (var certificate in certificates ?? [])
        {
            certificate.Dispose();
        }
    }
}
