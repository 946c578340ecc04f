// A municipality's own system pushing shelter status to a DisasterHub with DisasterHub.Client:
//   dotnet DisasterHub.Client.Sample.dll HUB_URL API_KEY [SOURCE_ID] [FILE.json]
// Without a file it pushes one example shelter of 七尾市 (open, 120 evacuees, observed now). Prints the hub's answer
// as JSON; exit 0 when the document was accepted, 1 when the hub refused it (its problem details are printed), 2 on usage.
using System.Text;
using System.Text.Json;
using DisasterHub.Client;
using Microsoft.Extensions.DependencyInjection;
using Refit;

if (args.Length < 2 || !Uri.TryCreate(args[0], UriKind.Absolute, out var hub))
{
    Console.Error.WriteLine("usage: DisasterHub.Client.Sample HUB_URL API_KEY [SOURCE_ID] [FILE.json]");
    return 2;
}
var source = args.Length > 2 ? args[2] : "nanao-status";
var body = args.Length > 3
    ? await File.ReadAllBytesAsync(args[3])
    : Encoding.UTF8.GetBytes($$"""
        {"municipality_code":"172022","observed_at":"{{DateTimeOffset.UtcNow.AddMinutes(-1):yyyy-MM-ddTHH:mm:ssZ}}","shelters":[
          {"id":"SAMPLE-1","name":"サンプル避難所","status":"開設","evacuees":120,"capacity":300,"lat":37.04826,"lon":136.96136}]}
        """);

var services = new ServiceCollection();
services.AddDisasterHubClient(hub, args[1]);
await using var provider = services.BuildServiceProvider();
var api = provider.GetRequiredService<IDisasterHubApi>();
var json = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
try
{
    // one Idempotency-Key per document: a retry (by the client's resilience handler or by you) is never ingested twice
    var answer = await api.PushAsync(source, DisasterHubClient.Document(body), Guid.NewGuid().ToString("N"));
    Console.WriteLine(JsonSerializer.Serialize(answer, json));
    return answer.Accepted > 0 ? 0 : 1;
}
catch (ApiException e)
{
    Console.WriteLine(JsonSerializer.Serialize(new { status = (int)e.StatusCode, problem = e.Problem() }, json));
    return 1;
}
