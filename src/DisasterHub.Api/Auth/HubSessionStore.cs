using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using DisasterHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;
using NpgsqlTypes;

namespace DisasterHub.Api.Auth;

/// <summary>
/// Where the session cookie's tickets live (<see cref="CookieAuthenticationOptions.SessionStore"/>): the hub's
/// PostgreSQL, table <c>person_session</c> (migration 0064). The cookie carries only a random key, so signing out ends
/// the session at the hub, on every node, and not only in the browser that signed out: a copy of the cookie taken
/// before is refused, and a renewal answered after the sign-out cannot bring the session back.
/// </summary>
/// <remarks>
/// One primary-key lookup per signed-in request. While the primary does not answer, the lookup is made on the read
/// pool (a streaming replica when one is configured), so officers keep reading the map through a primary's outage as
/// anonymous readers do; a session signed out in the replica's lag may then open for that long.
/// </remarks>
public sealed class HubSessionStore(NpgsqlDataSource db, [FromKeyedServices(DataServices.Read)] NpgsqlDataSource read, TimeProvider clock,
    ILogger<HubSessionStore> log) : ITicketStore
{
    public Task<string> StoreAsync(AuthenticationTicket ticket) => StoreAsync(ticket, CancellationToken.None);

    public async Task<string> StoreAsync(AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        var user = ticket.Principal.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new InvalidOperationException("a session ticket without the person's id (ClaimTypes.NameIdentifier)");
        var key = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        await using var c = db.CreateCommand(SqlFiles.Get("person_session_store"));
        Bind(c, key, ticket);
        c.Parameters.AddWithValue("user", user);
        await c.ExecuteNonQueryAsync(cancellationToken);
        return key;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket) => RenewAsync(key, ticket, CancellationToken.None);

    public async Task RenewAsync(string key, AuthenticationTicket ticket, CancellationToken cancellationToken)
    {
        await using var c = db.CreateCommand(SqlFiles.Get("person_session_renew"));
        Bind(c, key, ticket);
        await c.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken)
    {
        byte[]? ticket;
        try
        {
            ticket = await TicketAsync(db, key, cancellationToken);
        }
        catch (NpgsqlException e) when (e.IsTransient && !ReferenceEquals(db, read) && !cancellationToken.IsCancellationRequested)
        {
            log.LogWarning("Session lookup on the primary failed ({Message}); looking it up on the read pool", e.Message);
            ticket = await TicketAsync(read, key, cancellationToken);
        }
        return ticket is null ? null : TicketSerializer.Default.Deserialize(ticket);
    }

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        await using var c = db.CreateCommand(SqlFiles.Get("person_session_remove"));
        c.Parameters.AddWithValue("key", Hash(key));
        await c.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<byte[]?> TicketAsync(NpgsqlDataSource source, string key, CancellationToken ct)
    {
        await using var c = source.CreateCommand(SqlFiles.Get("person_session_get"));
        c.Parameters.AddWithValue("key", Hash(key));
        c.Parameters.AddWithValue("now", clock.GetUtcNow().UtcDateTime);
        return await c.ExecuteScalarAsync(ct) as byte[];
    }

    private void Bind(NpgsqlCommand c, string key, AuthenticationTicket ticket)
    {
        c.Parameters.AddWithValue("key", Hash(key));
        c.Parameters.AddWithValue("ticket", TicketSerializer.Default.Serialize(ticket));
        c.Parameters.AddWithValue("now", clock.GetUtcNow().UtcDateTime);
        c.Parameters.Add(new NpgsqlParameter("expires", NpgsqlDbType.TimestampTz) { Value = (object?)ticket.Properties.ExpiresUtc?.UtcDateTime ?? DBNull.Value });
    }

    /// <summary>The row's key: the cookie's key hashed, so the table alone opens no session.</summary>
    private static byte[] Hash(string key) => SHA256.HashData(Encoding.ASCII.GetBytes(key));
}
