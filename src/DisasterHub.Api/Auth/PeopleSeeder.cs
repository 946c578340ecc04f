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
/// or authenticator stay as they are), through <see cref="PeopleRegistry"/> like <c>./hub people add</c> and <c>/api/v1/people</c>.
/// </summary>
public static class PeopleSeeder
{
    public static async Task SeedAsync(IServiceProvider services, IConfiguration config, ILogger log, CancellationToken ct)
    {
        var people = config.GetSection("Hub:People").Get<List<PersonConfig>>() ?? [];
        if (people.Count == 0) return;
        var users = services.GetRequiredService<UserManager<Person>>();
        var registry = new PeopleRegistry(users, services.GetRequiredService<HubDbContext>(), services.GetRequiredService<TimeProvider>());
        foreach (var p in people)
        {
            if (await users.FindByEmailAsync(p.Email) is not null) continue;
            var (_, error) = await registry.CreateAsync(p, ct);
            if (error is not null) throw new InvalidOperationException($"Hub:People {p.Email}: {error.Field}: {error.Detail}");
            log.LogInformation("Seeded person {Email} ({Organization}: {Roles})", p.Email, p.Organization, string.Join(",", p.Roles));
        }
    }
}
