using System.Text;

namespace Secrets.Server.Http;

/// <summary>Bounded reads of a raw request body, for the routes that take a body as bytes or text rather than JSON.</summary>
internal static class RawBody
{
    /// <summary>The most a credentials endpoint reads: an API key or a password is a few dozen bytes.</summary>
    public const int MaxCredentialBytes = 4096;

    /// <summary>
    /// A credential body (an API key, a new password) of at most <see cref="MaxCredentialBytes"/>: TooLarge when the
    /// body is longer (reading stops at the limit, and the answer is 413 as on every other route), Text null when
    /// the bytes are not UTF-8.
    /// </summary>
    public static async Task<(string? Text, bool TooLarge)> ReadCredentialAsync(HttpRequest request, CancellationToken ct)
    {
        var bytes = await ReadBytesAsync(request, MaxCredentialBytes, ct);
        if (bytes is null)
        {
            return (null, true);
        }

        try
        {
            return (new UTF8Encoding(false, true).GetString(bytes), false);
        }
        catch (DecoderFallbackException)
        {
            return (null, false);
        }
    }

    /// <summary>The raw body up to <paramref name="max"/> bytes; null, without reading further, once it is larger.</summary>
    public static async Task<byte[]?> ReadBytesAsync(HttpRequest request, long max, CancellationToken ct)
    {
        if (request.ContentLength > max)
        {
            return null;
        }

        using var ms = new MemoryStream();
        var buffer = new byte[(int)Math.Min(16 * 1024, max + 1)];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, ct)) > 0)
        {
            if (ms.Length + n > max)
            {
                return null;
            }

            ms.Write(buffer, 0, n);
        }

        return ms.ToArray();
    }
}
