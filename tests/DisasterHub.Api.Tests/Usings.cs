global using Microsoft.AspNetCore.Http.Features;
global using Microsoft.Extensions.Configuration;
global using Microsoft.Extensions.Time.Testing;
