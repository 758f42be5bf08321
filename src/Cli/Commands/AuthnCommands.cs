using System.CommandLine;
using Secrets.Cli.Client;
using Secrets.Cli.Configuration;
using Secrets.Cli.Output;

namespace Secrets.Cli.Commands;

/// <summary><c>login</c>, <c>logout</c>, <c>whoami</c>, <c>authenticate</c>.</summary>
internal static class AuthnCommands
{
    public static IEnumerable<Command> Create(CliSession session) =>
        [Login(session), Logout(session), WhoAmI(session), Authenticate(session)];

    private static Command Login(CliSession session)
    {
        var id = new Option<string>("--id", "-i", "--username", "-u") { Description = "Login: alice, alice@dev-db or host/app/01 (prompted when missing).", HelpName = "login" };
        var password = new Option<string>("--password", "-p") { Description = "Password or API key (prompted without echo when missing).", HelpName = "password" };
        var command = CliApp.Command(
            "login",
            "Log in: exchange the password for the API key and store login and API key in ~/.netrc (0600). " +
            "With --authn-type jwt|k8s|spiffe, authenticate with the workload token file instead.",
            "secrets login -i alice",
            "echo \"$API_KEY\" | secrets login -i host/ci/runner",
            "secrets login --authn-type k8s --service-id prod-cluster");
        command.Options.Add(id);
        command.Options.Add(password);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var settings = session.Settings(parseResult);
            if (settings.IsWorkload)
            {
                var client = session.Client(parseResult, settings.Workload());
                var token = await client.AuthenticateAsync(cancellationToken);
                session.Out.WriteLine(token.Subject is null ? "Logged in" : $"Logged in as {token.Subject}");
                return;
            }

            settings.RequireServer();
            var login = parseResult.GetValue(id) ?? session.ReadLine("Enter your username to log into Conjur: ")?.Trim();
            if (string.IsNullOrEmpty(login))
            {
                throw new UsageException("A login is required (-i LOGIN).");
            }

            var secret = parseResult.GetValue(password) ?? session.ReadSecret($"Enter password for {login}: ");
            if (string.IsNullOrEmpty(secret))
            {
                throw new UsageException("A password or API key is required (-p, or type it at the prompt).");
            }

            var anonymous = session.Client(parseResult, anonymous: true);
            var apiKey = (await anonymous.LoginAsync(login, secret, settings.ApiKeyAuthenticator, cancellationToken)).Trim();
            var netrc = File.Exists(settings.NetrcPath) ? await File.ReadAllTextAsync(settings.NetrcPath, cancellationToken) : "";
            SecureFile.WriteAllText(settings.NetrcPath, Netrc.Upsert(netrc, settings.NetrcMachine, login, apiKey), SecureFile.OwnerReadWrite);

            // A token cached for this login under a previous API key is dropped with the key it came from.
            session.Client(parseResult, new ApiKeyCredentials(login, apiKey, settings.ApiKeyAuthenticator)).InvalidateToken();
            session.Out.WriteLine("Logged in");
        }));
        return command;
    }

    private static Command Logout(CliSession session)
    {
        var command = CliApp.Command(
            "logout",
            "Remove the stored login and API key from ~/.netrc and forget cached access tokens.",
            "secrets logout");
        command.SetAction(session.Run((parseResult, _) =>
        {
            var settings = session.Settings(parseResult);
            settings.RequireServer();
            if (settings.IsWorkload)
            {
                session.Client(parseResult, settings.Workload()).InvalidateToken();
            }
            else if (settings.StoredCredentials() is { } stored)
            {
                session.Client(parseResult, stored).InvalidateToken();
                SecureFile.WriteAllText(settings.NetrcPath, Netrc.Remove(File.ReadAllText(settings.NetrcPath), settings.NetrcMachine), SecureFile.OwnerReadWrite);
            }

            session.Out.WriteLine("Logged out");
            return Task.CompletedTask;
        }));
        return command;
    }

    private static Command WhoAmI(CliSession session)
    {
        var command = CliApp.Command("whoami", "Show the identity of the current credentials (GET /whoami).", "secrets whoami");
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
            JsonOutput.Write(session.Out, (await session.Client(parseResult).WhoAmIAsync(cancellationToken)).Raw)));
        return command;
    }

    private static Command Authenticate(CliSession session)
    {
        var header = new Option<bool>("--header", "-H") { Description = "Print the Authorization header instead of the token JSON." };
        var command = CliApp.Command(
            "authenticate",
            "Obtain a new access token and print it (JSON), or the ready-to-use Authorization header.",
            "secrets authenticate",
            "curl -H \"$(secrets authenticate -H)\" https://conjur.example.com/whoami");
        command.Options.Add(header);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var token = await session.Client(parseResult).AuthenticateAsync(cancellationToken);
            if (parseResult.GetValue(header))
            {
                session.Out.WriteLine($"Authorization: {token.AuthorizationHeaderValue}");
            }
            else
            {
                using var document = System.Text.Json.JsonDocument.Parse(token.Json);
                JsonOutput.Write(session.Out, document.RootElement);
            }
        }));
        return command;
    }
}
