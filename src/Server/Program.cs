using Secrets.Server;
using Secrets.Server.Admin;

// One executable, conjurctl-like subcommands; with no subcommand it serves (the README's first command).
// SIGTERM/SIGINT are left to the web host, which drains in-flight requests for SECRETS_SHUTDOWN_TIMEOUT_SECONDS:
// System.CommandLine's own handling would end the process after its fixed 2 s.
return await AdminCommands.Build().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = null });

/// <summary>Entry point type (kept public for tools that locate the app by its Program class).</summary>
public partial class Program;
