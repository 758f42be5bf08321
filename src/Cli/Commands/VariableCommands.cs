using System.CommandLine;
using System.Text;
using Secrets.Cli.Output;

namespace Secrets.Cli.Commands;

/// <summary><c>variable get|set</c>.</summary>
internal static class VariableCommands
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Command Create(CliSession session)
    {
        var command = CliApp.Command("variable", "Read and write secret values.", "secrets variable get -i prod/db/password");
        command.Subcommands.Add(Get(session));
        command.Subcommands.Add(Set(session));
        return command;
    }

    private static Command Get(CliSession session)
    {
        var ids = new Option<string[]>("--id", "-i") { Description = "Variable id; repeat for several (fetched in one batch request, printed as JSON).", Required = true, HelpName = "id" };
        var version = new Option<int?>("--version", "-v") { Description = "Version of a single variable (1 = oldest kept).", HelpName = "version" };
        var command = CliApp.Command(
            "get",
            "Print the value of a variable, byte for byte (binary safe). With several -i, print a JSON object of full id → value.",
            "secrets variable get -i prod/db/password",
            "secrets variable get -i prod/db/username -i prod/db/password",
            "secrets variable get -i prod/tls/key -v 2 > key.pem");
        command.Options.Add(ids);
        command.Options.Add(version);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var requested = parseResult.GetRequiredValue(ids);
            var wantedVersion = parseResult.GetValue(version);
            if (requested.Length > 1 && wantedVersion is not null)
            {
                throw new UsageException("--version works with a single --id.");
            }

            if (wantedVersion is <= 0)
            {
                throw new UsageException("--version must be a positive integer.");
            }

            var client = session.Client(parseResult);
            var variables = requested.Select(id => Ids.Parse(id, client.Account, "variable")).ToList();
            if (variables.Count == 1)
            {
                var value = await client.GetSecretAsync(variables[0], wantedVersion, cancellationToken);
                await session.WriteBytesAsync(value, cancellationToken);
                if (session.Host.StdoutIsTerminal)
                {
                    session.Out.WriteLine();
                }

                return;
            }

            var values = await client.GetSecretsAsync(variables, cancellationToken);
            var text = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (id, bytes) in values)
            {
                try
                {
                    text[id] = StrictUtf8.GetString(bytes);
                }
                catch (DecoderFallbackException)
                {
                    throw new CliFailureException($"{id} holds binary data, which JSON cannot carry; fetch it alone: secrets variable get -i {id}");
                }
            }

            JsonOutput.Write(session.Out, text);
        }));
        return command;
    }

    private static Command Set(CliSession session)
    {
        var id = new Option<string>("--id", "-i") { Description = "Variable id.", Required = true, HelpName = "id" };
        var value = new Option<string>("--value", "-v") { Description = "The new value (UTF-8 text).", HelpName = "value" };
        var file = new Option<string>("--file", "-f") { Description = "Read the value from a file, byte for byte (- for standard input).", HelpName = "file" };
        var command = CliApp.Command(
            "set",
            "Store a new value (a new version) of a variable.",
            "secrets variable set -i prod/db/password -v 'correct horse'",
            "secrets variable set -i prod/tls/key -f key.pem");
        command.Options.Add(id);
        command.Options.Add(value);
        command.Options.Add(file);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var text = parseResult.GetValue(value);
            var path = parseResult.GetValue(file);
            if ((text is null) == (path is null))
            {
                throw new UsageException("Give the value with exactly one of -v VALUE or -f FILE.");
            }

            var bytes = text is not null ? Encoding.UTF8.GetBytes(text) : await InputFile.ReadAllBytesAsync(session, path!, cancellationToken);
            var client = session.Client(parseResult);
            await client.SetSecretAsync(Ids.Parse(parseResult.GetRequiredValue(id), client.Account, "variable"), bytes, cancellationToken);
            session.Out.WriteLine("Value added");
        }));
        return command;
    }
}
