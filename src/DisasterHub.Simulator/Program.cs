using DisasterHub.Simulator;

try
{
    await SimulatorApp.Build(args).RunAsync();
    return 0;
}
catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    // another process holds the port: one line, no stack trace (the host's own report is filtered in Build)
    Console.Error.WriteLine($"simulator: {e.Message}");
    return 98;
}
