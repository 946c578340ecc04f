using DisasterHub.Api;

// `DisasterHub.Api [serve]` runs the hub; `validate`, `keys`, `migrate` are the offline commands ./hub calls.
return await HubCli.RunAsync(args);

/// <summary>Entry point type, visible to tests.</summary>
public partial class Program;
