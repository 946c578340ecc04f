using System.Net;
using System.Net.Sockets;

namespace DisasterHub.Ingestion;

/// <summary>
/// Keeps feed URLs from reaching what they must not (DESIGN §4): http/https only, and no loopback, private,
/// link-local, CGNAT, multicast, metadata or IPv4-mapped/-embedded addresses — decided on the address actually
/// connected to (after DNS, at connect time, so also on every redirect), not on the URL's text.
/// </summary>
public static class SsrfGuard
{
    public static string? CheckScheme(Uri uri) =>
        uri.Scheme is "http" or "https" ? null : $"scheme '{uri.Scheme}' is not allowed (http or https only)";

    /// <summary>Null when the address may be connected to; otherwise why not.</summary>
    public static string? CheckAddress(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) return CheckAddress(address.MapToIPv4()) is { } why ? $"IPv4-mapped {why}" : null;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (IPAddress.IsLoopback(address)) return "loopback address";
            if (address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None)) return "unspecified address";
            if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal) return "link-local address";
            if (address.IsIPv6Multicast) return "multicast address";
            var b6 = address.GetAddressBytes();
            if ((b6[0] & 0xFE) == 0xFC) return "unique-local (private) address";
            if (b6[0] == 0x20 && b6[1] == 0x02) return CheckAddress(new IPAddress(b6[2..6])) is { } w ? $"6to4-embedded {w}" : null;
            if (b6[0] == 0x00 && b6[1] == 0x64 && b6[2] == 0xFF && b6[3] == 0x9B) return CheckAddress(new IPAddress(b6[12..16])) is { } n ? $"NAT64-embedded {n}" : null;
            if (b6[..12].All(x => x == 0)) return CheckAddress(new IPAddress(b6[12..16])) is { } c ? $"IPv4-compatible {c}" : null;
            return null;
        }
        var b = address.GetAddressBytes();
        return (b[0], b[1]) switch
        {
            (0, _) => "unspecified (0.0.0.0/8) address",
            (10, _) => "private address (10.0.0.0/8)",
            (127, _) => "loopback address",
            (169, 254) => b[2] == 169 && b[3] == 254 ? "cloud metadata address" : "link-local address",
            (172, >= 16 and <= 31) => "private address (172.16.0.0/12)",
            (192, 168) => "private address (192.168.0.0/16)",
            (100, >= 64 and <= 127) => "shared (CGNAT) address",
            (192, 0) when b[2] is 0 or 2 => "reserved address",
            (198, 18 or 19) => "benchmarking address",
            (>= 224, _) => "multicast or reserved address",
            _ => null,
        };
    }

    /// <summary>
    /// A SocketsHttpHandler.ConnectCallback: resolve, refuse forbidden addresses, connect to the first allowed one.
    /// <paramref name="resolve"/> and <paramref name="connect"/> are seams for tests (which never send traffic).
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(
        Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null,
        Func<IPEndPoint, CancellationToken, ValueTask<Stream>>? connect = null)
    {
        resolve ??= (host, ct) => Dns.GetHostAddressesAsync(host, ct);
        connect ??= ConnectSocketAsync;
        return async (context, ct) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await resolve(host, ct);
            var reasons = new List<string>();
            foreach (var address in addresses)
            {
                if (CheckAddress(address) is { } why)
                {
                    reasons.Add($"{address}: {why}");
                    continue;
                }
                return await connect(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
            }
            throw new HttpRequestException($"blocked by the SSRF guard: {host} resolves only to forbidden addresses ({string.Join("; ", reasons)})");
        };
    }

    private static async ValueTask<Stream> ConnectSocketAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
