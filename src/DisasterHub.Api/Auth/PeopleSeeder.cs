using DisasterHub.Data;
using Microsoft.AspNetCore.Identity;

namespace DisasterHub.Api.Auth;

/// <summary>One entry of <c>Hub:People</c>: a person to create when the database has nobody with that email.</summary>
public sealed class PersonConfig
{
    public string Email { get; set; } = "";
    public string? Name { get; set; }
    public string Organization { get; set; } = "";
    public List<string> Roles { get; set; } = [];

    /// <summary>From configuration or the environment (<c>Hub__People__0__Password</c>); never logged.</summary>
    public string Password { get; set; } = "";
}

/// <summary>
/// Seeds the people <c>Hub:People</c> lists that do not exist yet — never overwrites one (a changed password, roles
/// or authenticator stay as they are). Also what <c>./hub people add</c> calls.
/// </summary>
public static class PeopleSeeder
{
    public static async Task SeedAsync(IServiceProvider services, IConfiguration config, ILogger log, CancellationToken ct)
    {
        var people = config.GetSection("Hub:People").Get<List<PersonConfig>>() ?? [];
        if (people.Count == 0) return;
        var users = services.GetRequiredService<UserManager<Person>>();
        foreach (var p in people)
        {
            if (await users.FindByEmailAsync(p.Email) is not null) continue;
            var errors = await CreateAsync(users, services.GetRequiredService<HubDbContext>(), p, services.GetRequiredService<TimeProvider>().GetUtcNow());
            if (errors.Count > 0) throw new InvalidOperationException($"Hub:People {p.Email}: {string.Join("; ", errors)}");
            log.LogInformation("Seeded person {Email} ({Organization}: {Roles})", p.Email, p.Organization, string.Join(",", p.Roles));
        }
    }

    /// <summary>Creates the person with a password and roles; the problems found, empty on success.</summary>
    public static async Task<List<string>> CreateAsync(UserManager<Person> users, HubDbContext db, PersonConfig p, DateTimeOffset now)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(p.Email)) problems.Add("email is required");
        if (string.IsNullOrWhiteSpace(p.Organization)) problems.Add("organization is required");
        if (p.Roles.Count == 0) problems.Add($"at least one role is required ({string.Join(", ", HubRoles.All)})");
        problems.AddRange(p.Roles.Where(r => !HubRoles.All.Contains(r)).Select(r => $"unknown role '{r}' (roles: {string.Join(", ", HubRoles.All)})"));
        if (string.IsNullOrEmpty(p.Password)) problems.Add("password is required");
        if (problems.Count > 0) return problems;
        if (await db.Organizations.FindAsync([p.Organization]) is null) return [$"no organization '{p.Organization}' (Hub:Organizations, or ./hub keys create --org … --kind …)"];
        var person = new Person { UserName = p.Email, Email = p.Email, EmailConfirmed = true, Name = p.Name, OrganizationId = p.Organization, CreatedAt = now };
        var created = await users.CreateAsync(person, p.Password);
        if (!created.Succeeded) return [.. created.Errors.Select(e => e.Description)];
        var roles = await users.AddToRolesAsync(person, p.Roles.Distinct());
        return roles.Succeeded ? [] : [.. roles.Errors.Select(e => e.Description)];
    }
}
