using DisasterHub.Simulator;

await SimulatorApp.Build(args).RunAsync();
