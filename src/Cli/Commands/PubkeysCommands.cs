using System.CommandLine;

namespace Secrets.Cli.Commands;

/// <summary><c>pubkeys show</c>.</summary>
internal static class PubkeysCommands
{
    public static Command Create(CliSession session)
    {
        var command = CliApp.Command("pubkeys", "Public keys of users.", "secrets pubkeys show -i alice");
        var (id, argument) = (Ids.Option("User login."), Ids.Argument("User login (instead of -i)."));
        var show = CliApp.Command("show", "Print the public keys of a user, one per line.", "secrets pubkeys show -i alice >> ~/.ssh/authorized_keys");
        show.Options.Add(id);
        show.Arguments.Add(argument);
        show.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var settings = session.Settings(parseResult);
            settings.RequireServer();

            // Authentication is optional for this endpoint (spec §1.2): use credentials when there are any.
            var credentials = settings.ResolveCredentials();
            var client = credentials is null ? session.Client(parseResult, anonymous: true) : session.Client(parseResult, credentials);
            var keys = await client.GetPublicKeysAsync(Ids.Require(parseResult, id, argument), cancellationToken);
            session.Out.Write(keys);
        }));
        command.Subcommands.Add(show);
        return command;
    }
}
