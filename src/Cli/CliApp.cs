using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Text;
using Secrets.Cli.Commands;

namespace Secrets.Cli;

/// <summary>
/// The <c>secrets</c> command line, runnable in-process: <see cref="RunAsync(string[], CliHost, CancellationToken)"/>
/// takes every process input explicitly, so tests use a temporary HOME and their own environment.
/// </summary>
public static class CliApp
{
    /// <summary>Runs the CLI with text stdout (binary secret values are written to the writer's stream when it has one).</summary>
    public static async Task<int> RunAsync(
        string[] args,
        TextWriter stdout,
        TextWriter stderr,
        Stream stdin,
        IDictionary<string, string?> environment,
        string home,
        HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(environment);
        if (stdout is StreamWriter { BaseStream: var stream })
        {
            await stdout.FlushAsync();
            return await RunAsync(args, Host(stream), CancellationToken.None);
        }

        using var buffer = new MemoryStream();
        var code = await RunAsync(args, Host(buffer), CancellationToken.None);
        await stdout.WriteAsync(Encoding.UTF8.GetString(buffer.ToArray()));
        await stdout.FlushAsync();
        return code;

        CliHost Host(Stream output) => new()
        {
            Stdout = output,
            Stderr = stderr,
            Stdin = stdin,
            Environment = environment.AsReadOnly(),
            Home = home,
            Handler = handler,
        };
    }

    /// <summary>Runs the CLI and returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, CliHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(host);
        await using var session = new CliSession(host);
        var root = BuildRootCommand(session);
        if (args is [CompletionCommands.CompleteVerb, .. var rest])
        {
            return CompletionCommands.Complete(root, rest, session);
        }

        var parseResult = root.Parse(args, ParserConfiguration);
        if (parseResult.Action is ParseErrorAction)
        {
            foreach (var error in parseResult.Errors)
            {
                host.Stderr.WriteLine($"error: {error.Message}");
            }

            host.Stderr.WriteLine($"Run '{CommandPath(parseResult.CommandResult.Command, root)} --help' for usage and examples.");
            await host.Stderr.FlushAsync(cancellationToken);
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = session.Out,
            Error = host.Stderr,
            EnableDefaultExceptionHandler = false,
        };
        var code = await parseResult.InvokeAsync(configuration, cancellationToken);
        await session.Out.FlushAsync(cancellationToken);
        return code;
    }

    /// <summary>
    /// No response files: <c>@name</c> must reach the command as typed (a password or value may start with '@'),
    /// never be replaced by the contents of a file.
    /// </summary>
    internal static ParserConfiguration ParserConfiguration { get; } = new() { ResponseFileTokenReplacer = null };

    internal static Command BuildRootCommand(CliSession session)
    {
        // A plain command named "secrets" rather than RootCommand, whose name is the host executable's: help and
        // errors read the same when the CLI runs embedded in another process (tests, tools).
        var root = new Command(
            "secrets",
            """
            Load policy and manage secrets on a Conjur-compatible server.
            Configuration comes from ~/.conjurrc and ~/.netrc (as written by the Conjur CLI), overridden by
            CONJUR_APPLIANCE_URL, CONJUR_ACCOUNT, CONJUR_AUTHN_LOGIN, CONJUR_AUTHN_API_KEY, CONJUR_AUTHN_TOKEN_FILE
            and CONJUR_CERT_FILE.
            Exit codes: 0 ok, 1 server or other error, 2 usage error, 3 not configured or not logged in, 4 not found.
            """);
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        HelpWithExamples.Register(root, ["secrets init -u https://conjur.example.com -a myorg && secrets login -i alice"]);
        foreach (var option in session.Globals.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(InitCommand.Create(session));
        foreach (var command in AuthnCommands.Create(session))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(PolicyCommands.Create(session));
        root.Subcommands.Add(VariableCommands.Create(session));
        root.Subcommands.Add(ResourceCommands.CreateList(session));
        root.Subcommands.Add(ResourceCommands.Create(session));
        root.Subcommands.Add(RoleCommands.Create(session));
        root.Subcommands.Add(ResourceCommands.CreateCheck(session));
        root.Subcommands.Add(RotationCommands.CreateUser(session));
        root.Subcommands.Add(RotationCommands.CreateHost(session));
        root.Subcommands.Add(HostFactoryCommands.Create(session));
        root.Subcommands.Add(PubkeysCommands.Create(session));
        root.Subcommands.Add(CompletionCommands.Create(session));
        HelpWithExamples.Install(root);
        return root;
    }

    /// <summary>Builds a command with its description and the examples that <c>--help</c> prints after the options.</summary>
    internal static Command Command(string name, string description, params string[] examples)
    {
        var command = new Command(name, description);
        HelpWithExamples.Register(command, examples);
        return command;
    }

    private static string CommandPath(Command command, Command root)
    {
        var names = new List<string>();
        var current = command;
        while (current is not null && current != root)
        {
            names.Insert(0, current.Name);
            current = root.Subcommands.Contains(current) ? null : FindParent(root, current);
        }

        names.Insert(0, "secrets");
        return string.Join(' ', names);
    }

    private static Command? FindParent(Command start, Command target)
    {
        foreach (var child in start.Subcommands)
        {
            if (child.Subcommands.Contains(target))
            {
                return child;
            }

            if (FindParent(child, target) is { } found)
            {
                return found;
            }
        }

        return null;
    }
}
