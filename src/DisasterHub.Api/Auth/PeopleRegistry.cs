using DisasterHub.Data;
using DisasterHub.Ingestion;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace DisasterHub.Api.Auth;

/// <summary>A change to a person (<c>PATCH /api/v1/people/{id}</c>): only the members sent change.</summary>
/// <param name="Disabled">true: the person can no longer sign in (locked with no end) and every session ends; false: unlocked.</param>
/// <param name="Password">A new password the admin sets (Identity's rules: at least <c>Hub:SignIn:PasswordMinLength</c> characters).</param>
public sealed record PersonChange(string? Name, string? Organization, IReadOnlyList<string>? Roles, bool? Disabled, string? Password);

/// <summary>A person as the operator sees them (never a password hash or an authenticator key).</summary>
public sealed record PersonView(string Id, string Email, string? Name, string Organization, IReadOnlyList<string> Roles,
    bool Disabled, DateTimeOffset? LockedUntil, bool Totp, DateTimeOffset CreatedAt);

/// <summary>
/// The one path that adds and changes people, through ASP.NET Core Identity's <see cref="UserManager{TUser}"/> (its
/// password hashing, rules and lockout): <c>Hub:People</c> seeding, <c>./hub people</c> and <c>/api/v1/people</c>.
/// Every check is made before anything is written, and each problem names its field. A change to roles, organization,
/// password or the disabled flag renews the security stamp, so the person's sessions end on every node.
/// </summary>
public sealed class PeopleRegistry(UserManager<Person> users, HubDbContext db, TimeProvider clock)
{
    /// <summary>Disabled = locked out until the end of time (Identity's own lockout, which sign-in already honours).</summary>
    public static readonly DateTimeOffset DisabledUntil = DateTimeOffset.MaxValue;

    /// <summary>Whether a lockout end is the disabled mark (PostgreSQL keeps it as infinity, read back as the maximum).</summary>
    public static bool IsDisabled(DateTimeOffset? lockoutEnd) => lockoutEnd is { } end && end.UtcDateTime.Year >= 9999;

    public async Task<(Person? Person, RegistryError? Error)> CreateAsync(PersonConfig p, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(p.Email) || !p.Email.Contains('@', StringComparison.Ordinal)) return (null, new("email", "an email address is required"));
        if (await CheckRolesAsync(p.Roles) is { } rolesError) return (null, rolesError);
        if (string.IsNullOrEmpty(p.Password)) return (null, new("password", "password is required"));
        if (await CheckPasswordAsync(p.Password) is { } passwordError) return (null, passwordError);
        if (await CheckOrganizationAsync(p.Organization, ct) is { } orgError) return (null, orgError);
        if (await users.FindByEmailAsync(p.Email) is not null) return (null, new("email", $"a person with email {p.Email} exists already", 409));
        var person = new Person
        {
            UserName = p.Email, Email = p.Email, EmailConfirmed = true, Name = string.IsNullOrWhiteSpace(p.Name) ? null : p.Name.Trim(),
            OrganizationId = p.Organization, CreatedAt = clock.GetUtcNow(),
        };
        var created = await users.CreateAsync(person, p.Password);
        if (!created.Succeeded) return (null, FromIdentity(created));
        var roles = await users.AddToRolesAsync(person, p.Roles.Distinct());
        return roles.Succeeded ? (person, null) : (null, FromIdentity(roles));
    }

    public async Task<List<PersonView>> ListAsync()
    {
        var list = new List<PersonView>();
        foreach (var p in await users.Users.OrderBy(p => p.Email).ToListAsync()) list.Add(await ViewAsync(p));
        return list;
    }

    /// <summary>The person by id, or by email.</summary>
    public async Task<Person?> FindAsync(string idOrEmail) =>
        await users.FindByIdAsync(idOrEmail) ?? (idOrEmail.Contains('@', StringComparison.Ordinal) ? await users.FindByEmailAsync(idOrEmail) : null);

    public async Task<(PersonView? Person, RegistryError? Error)> UpdateAsync(string idOrEmail, PersonChange change, CancellationToken ct)
    {
        var person = await FindAsync(idOrEmail);
        if (person is null) return (null, new("id", $"no person '{idOrEmail}'", 404));
        if (change.Roles is not null && await CheckRolesAsync(change.Roles) is { } rolesError) return (null, rolesError);
        if (change.Organization is not null && await CheckOrganizationAsync(change.Organization, ct) is { } orgError) return (null, orgError);
        if (change.Password is not null && await CheckPasswordAsync(change.Password, person) is { } passwordError) return (null, passwordError);
        if (change.Name is { Length: > 200 }) return (null, new("name", "name is longer than 200 characters"));

        var sessionsEnd = false;
        if (change.Name is not null) person.Name = change.Name.Trim().Length == 0 ? null : change.Name.Trim();
        if (change.Organization is not null && change.Organization != person.OrganizationId)
        {
            person.OrganizationId = change.Organization;
            sessionsEnd = true;
        }
        var updated = await users.UpdateAsync(person);
        if (!updated.Succeeded) return (null, FromIdentity(updated));
        if (change.Roles is not null)
        {
            var current = await users.GetRolesAsync(person);
            var wanted = change.Roles.Distinct().ToList();
            var removed = await users.RemoveFromRolesAsync(person, current.Except(wanted));
            if (!removed.Succeeded) return (null, FromIdentity(removed));
            var added = await users.AddToRolesAsync(person, wanted.Except(current));
            if (!added.Succeeded) return (null, FromIdentity(added));
            sessionsEnd = true;
        }
        if (change.Password is not null)
        {
            var token = await users.GeneratePasswordResetTokenAsync(person);
            var reset = await users.ResetPasswordAsync(person, token, change.Password);
            if (!reset.Succeeded) return (null, FromIdentity(reset));
            await users.ResetAccessFailedCountAsync(person);
            sessionsEnd = true;
        }
        if (change.Disabled is { } disabled)
        {
            await users.SetLockoutEnabledAsync(person, true);
            await users.SetLockoutEndDateAsync(person, disabled ? DisabledUntil : null);
            if (!disabled) await users.ResetAccessFailedCountAsync(person);
            sessionsEnd |= disabled;
        }
        if (sessionsEnd) await users.UpdateSecurityStampAsync(person);
        return (await ViewAsync(person), null);
    }

    private async Task<PersonView> ViewAsync(Person p)
    {
        var lockedUntil = p.LockoutEnd is { } end && end > clock.GetUtcNow() ? end : (DateTimeOffset?)null;
        var disabled = IsDisabled(lockedUntil);
        return new PersonView(p.Id, p.Email ?? "", p.Name, p.OrganizationId, [.. (await users.GetRolesAsync(p)).Order(StringComparer.Ordinal)],
            disabled, disabled ? null : lockedUntil, p.TwoFactorEnabled, p.CreatedAt);
    }

    private static Task<RegistryError?> CheckRolesAsync(IReadOnlyList<string> roles)
    {
        if (roles.Count == 0) return Task.FromResult<RegistryError?>(new("roles", $"at least one role is required ({string.Join(", ", HubRoles.All)})"));
        for (var i = 0; i < roles.Count; i++)
            if (!HubRoles.All.Contains(roles[i]))
                return Task.FromResult<RegistryError?>(new($"/roles/{i}", $"unknown role '{roles[i]}' (roles: {string.Join(", ", HubRoles.All)})"));
        return Task.FromResult<RegistryError?>(null);
    }

    private async Task<RegistryError?> CheckOrganizationAsync(string? org, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(org)) return new("organization", "organization is required");
        return await db.Organizations.AsNoTracking().AnyAsync(o => o.Id == org, ct) ? null : new("organization", $"no organization '{org}'");
    }

    /// <summary>Identity's own password validators (length…), before anything is written.</summary>
    private async Task<RegistryError?> CheckPasswordAsync(string password, Person? person = null)
    {
        var subject = person ?? new Person { OrganizationId = "", UserName = "", Email = "" };
        foreach (var v in users.PasswordValidators)
        {
            var r = await v.ValidateAsync(users, subject, password);
            if (!r.Succeeded) return new("password", string.Join(" ", r.Errors.Select(e => e.Description)));
        }
        return null;
    }

    private static RegistryError FromIdentity(IdentityResult r)
    {
        var e = r.Errors.First();
        var field = e.Code.StartsWith("Password", StringComparison.Ordinal) ? "password"
            : e.Code.Contains("Email", StringComparison.Ordinal) || e.Code.Contains("UserName", StringComparison.Ordinal) ? "email"
            : e.Code.Contains("Role", StringComparison.Ordinal) ? "roles" : "person";
        var status = e.Code.StartsWith("Duplicate", StringComparison.Ordinal) ? 409 : 422;
        return new(field, string.Join(" ", r.Errors.Select(x => x.Description)), status);
    }
}
