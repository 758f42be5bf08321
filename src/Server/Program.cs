using Secrets.Server;
using Secrets.Server.Admin;

// One executable, conjurctl-like subcommands; with no subcommand it serves (the README's first command).
return await AdminCommands.Build().Parse(args).InvokeAsync();

/// <summary>Entry point type (kept public for tools that locate the app by its Program class).</summary>
public partial class Program;
