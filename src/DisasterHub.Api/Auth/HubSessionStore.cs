using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using DisasterHub.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Caching.Memory;
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
/// A session read from the database is kept on this node for <c>Hub:SignIn:SessionCacheSeconds</c> (default 2; the
/// map asks for dozens of tiles a view, and a cached tile costs far less than the lookup): signing out or a renewal
/// here changes it at once, a sign-out made on another node is seen here within that time. While the primary does not
/// answer and read replicas are configured, the lookup is made on the read pool, so officers keep reading the map
/// through a primary's outage as anonymous readers do; a session signed out in the replica's lag may then open for
/// that long.
/// </remarks>
public sealed class HubSessionStore : ITicketStore, IDisposable
{
    private readonly NpgsqlDataSource db;
    private readonly NpgsqlDataSource read;
    private readonly bool replicas;
    private readonly TimeProvider clock;
    private readonly ILogger<HubSessionStore> log;
    private readonly MemoryCache _tickets = new(new MemoryCacheOptions { SizeLimit = 20_000 });
    private readonly TimeSpan _ttl;

    public HubSessionStore(NpgsqlDataSource db, [FromKeyedServices(DataServices.Read)] NpgsqlDataSource read, ReplicaSet replicas,
        IConfiguration config, TimeProvider clock, ILogger<HubSessionStore> log)
    {
        (this.db, this.read, this.replicas, this.clock, this.log) = (db, read, replicas.Configured, clock, log);
        _ttl = TimeSpan.FromSeconds(config.GetValue("Hub:SignIn:SessionCacheSeconds", 2));
    }

    public void Dispose() => _tickets.Dispose();

    /// <summary>The ticket's bytes (each request deserializes its own principal), kept for <see cref="_ttl"/> under the
    /// cookie's key itself: a cached read hashes nothing (the hash is only the database row's key).</summary>
    private void Keep(string key, byte[] ticket)
    {
        if (_ttl > TimeSpan.Zero)
            _tickets.Set(key, ticket, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _ttl });
    }

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
        _tickets.Remove(key); // read again: the row is renewed only if it still exists
        await c.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => RetrieveAsync(key, CancellationToken.None);

    public async Task<AuthenticationTicket?> RetrieveAsync(string key, CancellationToken cancellationToken)
    {
        if (!_tickets.TryGetValue(key, out byte[]? ticket))
        {
            var hash = Hash(key);
            try
            {
                ticket = await TicketAsync(db, hash, cancellationToken);
            }
            catch (NpgsqlException e) when (e.IsTransient && replicas && !cancellationToken.IsCancellationRequested)
            {
                log.LogWarning("Session lookup on the primary failed ({Message}); looking it up on the read pool", e.Message);
                ticket = await TicketAsync(read, hash, cancellationToken);
            }
            if (ticket is not null) Keep(key, ticket);
        }
        return ticket is null ? null : TicketSerializer.Default.Deserialize(ticket);
    }

    public Task RemoveAsync(string key) => RemoveAsync(key, CancellationToken.None);

    public async Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        _tickets.Remove(key);
        await using var c = db.CreateCommand(SqlFiles.Get("person_session_remove"));
        c.Parameters.AddWithValue("key", Hash(key));
        await c.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<byte[]?> TicketAsync(NpgsqlDataSource source, byte[] hash, CancellationToken ct)
    {
        await using var c = source.CreateCommand(SqlFiles.Get("person_session_get"));
        c.Parameters.AddWithValue("key", hash);
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
