using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Data;

/// <summary>A person who signs in: an Identity user who belongs to one organization.</summary>
public sealed class Person : IdentityUser
{
    public required string OrganizationId { get; set; }

    /// <summary>The name shown on pages ("七尾市 防災課 山田").</summary>
    public string? Name { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// ASP.NET Core Identity's store (people, roles, logins, authenticator keys) on the hub's PostgreSQL, in the
/// <c>hub_user*</c> / <c>hub_role*</c> tables of migration 0026.
/// </summary>
/// <remarks>
/// A context of its own rather than more sets on <see cref="HubDbContext"/>: Identity brings its own model
/// (<see cref="IdentityDbContext{TUser}"/>), and the registry's context stays free of it. The tables are created by the
/// hand-written migration like every other (no EF migrations here), so the model is mapped onto them: snake_case
/// names, the columns the SQL declares.
/// </remarks>
public sealed class PeopleDbContext(DbContextOptions<PeopleDbContext> options) : IdentityDbContext<Person, IdentityRole, string>(options)
{
    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<Person>(e =>
        {
            e.ToTable("hub_user");
            e.HasIndex(x => x.NormalizedUserName).HasDatabaseName("hub_user_normalized_user_name");
            e.HasIndex(x => x.NormalizedEmail).HasDatabaseName("hub_user_normalized_email");
        });
        builder.Entity<IdentityRole>().ToTable("hub_role");
        builder.Entity<IdentityUserRole<string>>().ToTable("hub_user_role");
        builder.Entity<IdentityUserClaim<string>>().ToTable("hub_user_claim");
        builder.Entity<IdentityUserLogin<string>>().ToTable("hub_user_login");
        builder.Entity<IdentityUserToken<string>>().ToTable("hub_user_token");
        builder.Entity<IdentityRoleClaim<string>>().ToTable("hub_role_claim");
        foreach (var entity in builder.Model.GetEntityTypes())
            foreach (var property in entity.GetProperties())
                property.SetColumnName(SnakeCase(property.Name));
    }

    /// <summary>"NormalizedUserName" → "normalized_user_name".</summary>
    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
