using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DisasterHub.Api.Tests.Faults;

/// <summary>A hub node as a separate OS process (so a test can SIGKILL it), on a loopback port.</summary>
public sealed class HubProcess : IDisposable
{
    public required Process Process { get; init; }
    public required Uri BaseUrl { get; init; }
    public System.Text.StringBuilder Log { get; } = new();

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static async Task<HubProcess> StartAsync(string connectionString, IDictionary<string, string> env, int? port = null)
    {
        var p = port ?? FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "DisasterHub.Api.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "serve", "--urls", $"http://127.0.0.1:{p}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.Environment["ConnectionStrings__Hub"] = connectionString;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__LogLevel__DisasterHub"] = "Information";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var process = Process.Start(psi)!;
        var hub = new HubProcess { Process = process, BaseUrl = new Uri($"http://127.0.0.1:{p}/") };
        process.OutputDataReceived += (_, e) => { lock (hub.Log) hub.Log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (hub.Log) hub.Log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"hub exited: {hub.Log}");
            try
            {
                if ((await http.GetAsync(new Uri(hub.BaseUrl, "health/live"))).IsSuccessStatusCode) return hub;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(250);
        }
        hub.Dispose();
        throw new TimeoutException($"hub did not start: {hub.Log}");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing — what a crash looks like.</summary>
    public void Kill()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        Kill();
        Process.Dispose();
    }
}
