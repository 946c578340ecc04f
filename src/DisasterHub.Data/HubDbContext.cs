using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Data;

/// <summary>
/// EF Core over the relational registry tables (organizations, keys, sources, audit). Feature data goes through
/// SQL files instead: it needs PostGIS functions and COPY, and the NTS plugin for EF/Npgsql cannot be obtained here.
/// </summary>
public sealed class HubDbContext(DbContextOptions<HubDbContext> options) : DbContext(options),
    Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.IDataProtectionKeyContext
{
    public DbSet<Organization> Organizations => Set<Organization>();

    /// <summary>ASP.NET Data Protection's key ring, shared by every node (it encrypts feed credentials at rest).</summary>
    public DbSet<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey> DataProtectionKeys =>
        Set<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Source> Sources => Set<Source>();
    public DbSet<AuditEntry> Audit => Set<AuditEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Organization>(e =>
        {
            e.ToTable("organization");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Kind).HasColumnName("kind");
            e.Property(x => x.JurisdictionCodes).HasColumnName("jurisdiction_codes");
            e.Property(x => x.ServiceArea).HasColumnName("service_area").HasColumnType("geometry(MultiPolygon, 4326)");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.ConfigManaged).HasColumnName("config_managed");
        });
        modelBuilder.Entity<ApiKey>(e =>
        {
            e.ToTable("api_key");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.OrganizationId).HasColumnName("organization_id");
            e.Property(x => x.Label).HasColumnName("label");
            e.Property(x => x.SecretSha256).HasColumnName("secret_sha256");
            e.Property(x => x.Scopes).HasColumnName("scopes");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.RevokedAt).HasColumnName("revoked_at");
        });
        modelBuilder.Entity<Source>(e =>
        {
            e.ToTable("source");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Kind).HasColumnName("kind");
            e.Property(x => x.Format).HasColumnName("format");
            e.Property(x => x.Layer).HasColumnName("layer");
            e.Property(x => x.Url).HasColumnName("url");
            e.Property(x => x.ScheduleSeconds).HasColumnName("schedule_seconds");
            e.Property(x => x.ExpectedIntervalSeconds).HasColumnName("expected_interval_seconds");
            e.Property(x => x.Priority).HasColumnName("priority");
            e.Property(x => x.Replaces).HasColumnName("replaces");
            e.Property(x => x.OwnerOrgId).HasColumnName("owner_org_id");
            e.Property(x => x.Internal).HasColumnName("internal");
            e.Property(x => x.Enabled).HasColumnName("enabled");
            e.Property(x => x.LastAttemptAt).HasColumnName("last_attempt_at");
            e.Property(x => x.LastSuccessAt).HasColumnName("last_success_at");
            e.Property(x => x.LastErrorAt).HasColumnName("last_error_at");
            e.Property(x => x.LastError).HasColumnName("last_error");
            e.Property(x => x.LastEtag).HasColumnName("last_etag");
            e.Property(x => x.LastModified).HasColumnName("last_modified");
            e.Property(x => x.LastRawSha256).HasColumnName("last_raw_sha256");
            e.Property(x => x.Watermark).HasColumnName("watermark");
            e.Property(x => x.Cursor).HasColumnName("cursor");
            e.Property(x => x.CursorAt).HasColumnName("cursor_at");
            e.Property(x => x.FollowSeen).HasColumnName("follow_seen");
            e.Property(x => x.FollowFetched).HasColumnName("follow_fetched");
            e.Property(x => x.FollowDuplicates).HasColumnName("follow_duplicates");
            e.Property(x => x.GapSince).HasColumnName("gap_since");
            e.Property(x => x.GapUntil).HasColumnName("gap_until");
            e.Property(x => x.PublicationDelayMs).HasColumnName("publication_delay_ms");
            e.Property(x => x.Credentials).HasColumnName("credentials");
            e.Property(x => x.License).HasColumnName("license");
            e.Property(x => x.Attribution).HasColumnName("attribution");
            e.Property(x => x.Companions).HasColumnName("companions").HasColumnType("jsonb");
            e.Property(x => x.Follow).HasColumnName("follow").HasColumnType("jsonb");
            e.Property(x => x.ExerciseWorkspace).HasColumnName("exercise_workspace");
            e.Property(x => x.Workspace).HasColumnName("workspace");
            e.Property(x => x.ConfigManaged).HasColumnName("config_managed");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });
        modelBuilder.Entity<Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey>(e =>
        {
            e.ToTable("data_protection_keys");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.FriendlyName).HasColumnName("friendly_name");
            e.Property(x => x.Xml).HasColumnName("xml");
        });
        modelBuilder.Entity<AuditEntry>(e =>
        {
            e.ToTable("audit");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.At).HasColumnName("at");
            e.Property(x => x.OrganizationId).HasColumnName("organization_id");
            e.Property(x => x.ApiKeyId).HasColumnName("api_key_id");
            e.Property(x => x.Person).HasColumnName("person");
            e.Property(x => x.Action).HasColumnName("action");
            e.Property(x => x.Target).HasColumnName("target");
            e.Property(x => x.ClientAddress).HasColumnName("client_address");
            e.Property(x => x.Detail).HasColumnName("detail").HasColumnType("jsonb");
        });
    }
}

public sealed class Organization
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public required string Kind { get; set; }
    public string[] JurisdictionCodes { get; set; } = [];

    /// <summary>A utility's or institution's service area (WGS84), where its jurisdiction is not a list of codes.</summary>
    public NetTopologySuite.Geometries.MultiPolygon? ServiceArea { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Written from configuration and not changed since through the API or CLI: configuration may still update it.</summary>
    public bool ConfigManaged { get; set; }
}

public sealed class ApiKey
{
    public required string Id { get; set; }
    public required string OrganizationId { get; set; }
    public string? Label { get; set; }
    public required byte[] SecretSha256 { get; set; }
    public string[] Scopes { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

public sealed class Source
{
    public required string Id { get; set; }
    public required string Name { get; set; }
    public required string Kind { get; set; }
    public required string Format { get; set; }
    public required string Layer { get; set; }
    public string? Url { get; set; }
    public int? ScheduleSeconds { get; set; }
    public int ExpectedIntervalSeconds { get; set; } = 3600;
    public int Priority { get; set; } = 100;

    /// <summary>Each document is the source's complete set: a pull withdraws what it no longer holds (migration 0053).</summary>
    public bool Replaces { get; set; }
    public string? OwnerOrgId { get; set; }
    public bool Internal { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTimeOffset? LastAttemptAt { get; set; }
    public DateTimeOffset? LastSuccessAt { get; set; }
    public DateTimeOffset? LastErrorAt { get; set; }
    public string? LastError { get; set; }
    public string? LastEtag { get; set; }
    public string? LastModified { get; set; }
    public byte[]? LastRawSha256 { get; set; }
    public DateTimeOffset? Watermark { get; set; }

    /// <summary>A follower's position in its source (another hub's change sequence), and when it last moved.</summary>
    public string? Cursor { get; set; }
    public DateTimeOffset? CursorAt { get; set; }

    /// <summary>A follower's counts: entries seen in its feed, documents fetched and ingested, duplicates skipped.</summary>
    public long FollowSeen { get; set; }
    public long FollowFetched { get; set; }
    public long FollowDuplicates { get; set; }

    /// <summary>The last span of publications no feed still held when the follower came back (possibly missed).</summary>
    public DateTimeOffset? GapSince { get; set; }
    public DateTimeOffset? GapUntil { get; set; }

    /// <summary>Publication-to-map delay of the last document a follower took: its feed entry's time to its ingest.</summary>
    public long? PublicationDelayMs { get; set; }

    /// <summary>The feed's credentials, encrypted with ASP.NET Data Protection (never stored, logged or listed in clear).</summary>
    public byte[]? Credentials { get; set; }

    /// <summary>JSON object: companion file name → URL.</summary>
    public string Companions { get; set; } = "{}";

    /// <summary>JSON object: how a follower reads the feed (<see cref="SourceFollow"/>); <c>{}</c> for a plain pull.</summary>
    public string Follow { get; set; } = "{}";

    /// <summary>The drill workspace this source's exercise/test documents go to (null: they are rejected from live).</summary>
    public string? ExerciseWorkspace { get; set; }
    /// <summary>The workspace a pull writes to (live, or a drill's).</summary>
    public string Workspace { get; set; } = "live";
    /// <summary>Written from configuration and not changed since through the API or CLI: configuration may still update it.</summary>
    public bool ConfigManaged { get; set; }

    /// <summary>The licence its data is published under (e.g. "CC BY 4.0", "政府標準利用規約 2.0"), carried into exports.</summary>
    public string? License { get; set; }

    /// <summary>The credit its publisher asks for, carried into exports and tile attribution.</summary>
    public string? Attribution { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public string? OrganizationId { get; set; }
    public string? ApiKeyId { get; set; }

    /// <summary>The signed-in person's email when a person, not a key, acted (migration 0026).</summary>
    public string? Person { get; set; }

    public required string Action { get; set; }
    public string? Target { get; set; }
    public string? ClientAddress { get; set; }
    public string Detail { get; set; } = "{}";
}
