using System.CommandLine;
using Secrets.Cli.Client;
using Secrets.Cli.Configuration;

namespace Secrets.Cli.Commands;

/// <summary><c>user rotate-api-key|change-password</c> and <c>host rotate-api-key</c>.</summary>
internal static class RotationCommands
{
    public static Command CreateUser(CliSession session)
    {
        var command = CliApp.Command("user", "Manage your own credentials, or rotate another user's API key.", "secrets user rotate-api-key");
        command.Subcommands.Add(UserRotate(session));
        command.Subcommands.Add(ChangePassword(session));
        return command;
    }

    public static Command CreateHost(CliSession session)
    {
        var command = CliApp.Command("host", "Manage hosts.", "secrets host rotate-api-key -i prod/app-01");
        var id = new Option<string>("--id", "-i") { Description = "Host id (app-01, prod/app-01 or host:prod/app-01).", Required = true, HelpName = "id" };
        var rotate = CliApp.Command(
            "rotate-api-key",
            "Rotate a host's API key (needs update on the host) and print the new key; the old key stops working at once.",
            "secrets host rotate-api-key -i prod/app-01");
        rotate.Options.Add(id);
        rotate.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var client = session.Client(parseResult);
            session.Out.WriteLine(await client.RotateApiKeyAsync(Ids.Parse(parseResult.GetRequiredValue(id), client.Account, "host"), cancellationToken));
        }));
        command.Subcommands.Add(rotate);
        return command;
    }

    private static Command UserRotate(CliSession session)
    {
        var id = new Option<string>("--id", "-i") { Description = "Another user to rotate (needs update on it); default: yourself.", HelpName = "id" };
        var command = CliApp.Command(
            "rotate-api-key",
            "Rotate an API key and print the new one. Rotating your own key updates ~/.netrc.",
            "secrets user rotate-api-key",
            "secrets user rotate-api-key -i bob@dev-db");
        command.Options.Add(id);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(id) is { } other)
            {
                var client = session.Client(parseResult);
                session.Out.WriteLine(await client.RotateApiKeyAsync(Ids.Parse(other, client.Account, "user"), cancellationToken));
                return;
            }

            // Own rotation takes Basic auth with the current key; a token is "insufficient credential strength" (spec §2.1).
            var (credentials, stored) = OwnCredentials(session, parseResult);
            var anonymous = session.Client(parseResult, anonymous: true);
            var newKey = (await anonymous.RotateOwnApiKeyAsync(credentials.Login, credentials.ApiKey, cancellationToken)).Trim();
            session.Client(parseResult, credentials).InvalidateToken();
            if (stored)
            {
                var settings = session.Settings(parseResult);
                SecureFile.WriteAllText(
                    settings.NetrcPath,
                    Netrc.Upsert(await File.ReadAllTextAsync(settings.NetrcPath, cancellationToken), settings.NetrcMachine, credentials.Login, newKey),
                    SecureFile.OwnerReadWrite);
            }

            session.Out.WriteLine(newKey);
        }));
        return command;
    }

    private static Command ChangePassword(CliSession session)
    {
        var password = new Option<string>("--password", "-p") { Description = "The new password (prompted without echo when missing).", HelpName = "password" };
        var command = CliApp.Command(
            "change-password",
            "Change your password (12-128 characters, 2 upper, 2 lower, 1 digit, 1 special). Your API key is unchanged.",
            "secrets user change-password");
        command.Options.Add(password);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var (credentials, _) = OwnCredentials(session, parseResult);
            var newPassword = parseResult.GetValue(password);
            if (newPassword is null)
            {
                newPassword = session.ReadSecret("Enter the new password: ");
                if (session.Host.ReadSecretFromTerminal is not null && session.ReadSecret("Confirm the new password: ") != newPassword)
                {
                    throw new UsageException("The passwords do not match.");
                }
            }

            if (string.IsNullOrEmpty(newPassword))
            {
                throw new UsageException("A new password is required (-p, or type it at the prompt).");
            }

            await session.Client(parseResult, anonymous: true).ChangePasswordAsync(credentials.Login, credentials.ApiKey, newPassword, cancellationToken);
            session.Out.WriteLine("Password changed");
        }));
        return command;
    }

    /// <summary>Login and API key for Basic-auth operations on oneself; true when they came from ~/.netrc.</summary>
    private static (ApiKeyCredentials Credentials, bool Stored) OwnCredentials(CliSession session, ParseResult parseResult)
    {
        var settings = session.Settings(parseResult);
        settings.RequireServer();
        return settings.ResolveCredentials() switch
        {
            ApiKeyCredentials fromEnvironment when settings.EnvLogin is not null => (fromEnvironment, false),
            ApiKeyCredentials fromNetrc => (fromNetrc, true),
            null => throw new ConfigurationException("Not logged in: run 'secrets login -i LOGIN' first."),
            _ => throw new ConfigurationException("This needs a login with an API key (secrets login, or CONJUR_AUTHN_LOGIN and CONJUR_AUTHN_API_KEY), not a token."),
        };
    }
}
