using System.Net;
using System.Net.Sockets;

namespace Secrets.Server.Admin;

/// <summary>
/// The listen addresses of <c>--urls</c> / SECRETS_URLS, checked before anything is written: each must be an
/// http(s) URL with a host and a port, and each port must be free. Kestrel would otherwise fail after the data
/// directory, the data key and the bootstrap account were created, with a stack trace.
/// </summary>
internal static class ListenAddresses
{
    /// <summary>Parses the ';'-separated list; Kestrel's wildcard hosts <c>*</c> and <c>+</c> become 0.0.0.0.</summary>
    public static bool TryParse(string urls, out IReadOnlyList<Uri> addresses, out string? error)
    {
        var parsed = new List<Uri>();
        addresses = parsed;
        error = null;
        var parts = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            error = "--urls: no listen address given: use http://HOST:PORT, e.g. http://127.0.0.1:8080";
            return false;
        }

        foreach (var part in parts)
        {
            var normalized = part.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri)
                || uri.Scheme is not ("http" or "https")
                || string.IsNullOrEmpty(uri.Host)
                || uri.AbsolutePath != "/"
                || !string.IsNullOrEmpty(uri.Query)
                || !string.IsNullOrEmpty(uri.UserInfo))
            {
                error = $"--urls: '{part}' is not a listen address: use http://HOST:PORT, e.g. http://127.0.0.1:8080";
                return false;
            }

            parsed.Add(uri);
        }

        return true;
    }

    /// <summary>Binds each address for a moment: a port in use, a foreign IP or a privileged port fails here, in one line.</summary>
    public static bool CanBind(IReadOnlyList<Uri> addresses, out string? error)
    {
        error = null;
        foreach (var uri in addresses)
        {
            if (uri.Port == 0)
            {
                continue;
            }

            var candidates = Endpoints(uri);
            for (var i = 0; i < candidates.Count; i++)
            {
                var (ip, optional) = candidates[i];
                try
                {
                    using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    if (ip.Equals(IPAddress.IPv6Any))
                    {
                        socket.DualMode = true;
                    }

                    socket.Bind(new IPEndPoint(ip, uri.Port));
                    socket.Listen(1);
                }
                catch (SocketException e) when (optional && e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported)
                {
                    // localhost's IPv6 loopback may be missing (containers without IPv6); Kestrel tolerates that too.
                }
                catch (SocketException e)
                {
                    error = $"cannot listen on {uri.GetLeftPart(UriPartial.Authority)}: " + e.SocketErrorCode switch
                    {
                        SocketError.AddressAlreadyInUse => $"port {uri.Port} is already in use",
                        SocketError.AddressNotAvailable => $"{ip} is not an address of this machine",
                        SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
                        _ => e.Message,
                    };
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Where a client on this machine reaches the address (a wildcard host is probed on loopback).</summary>
    public static Uri ProbeUri(Uri listen)
    {
        var host = listen.Host switch
        {
            "0.0.0.0" => "127.0.0.1",
            "[::]" => "[::1]",
            _ => listen.Host,
        };
        return new UriBuilder(listen) { Host = host, Path = "/" }.Uri;
    }

    private static List<(IPAddress Ip, bool Optional)> Endpoints(Uri uri)
    {
        if (uri.IsLoopback && !IPAddress.TryParse(uri.Host.Trim('[', ']'), out _))
        {
            return [(IPAddress.Loopback, false), (IPAddress.IPv6Loopback, true)];
        }

        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip))
        {
            return [(ip, false)];
        }

        // Any other host name: Kestrel listens on every address.
        return Socket.OSSupportsIPv6 ? [(IPAddress.IPv6Any, false)] : [(IPAddress.Any, false)];
    }
}
