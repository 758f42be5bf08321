using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Secrets.Cli.Output;

namespace Secrets.Cli.Commands;

/// <summary><c>hostfactory tokens create|revoke</c> and <c>hostfactory hosts create</c>.</summary>
internal static partial class HostFactoryCommands
{
    public static Command Create(CliSession session)
    {
        var command = CliApp.Command("hostfactory", "Enrol hosts with host-factory tokens.", "secrets hostfactory tokens create -i prod/db --duration 1h");
        var tokens = CliApp.Command("tokens", "Create and revoke host-factory tokens.", "secrets hostfactory tokens create -i prod/db");
        tokens.Subcommands.Add(CreateTokens(session));
        tokens.Subcommands.Add(RevokeToken(session));
        var hosts = CliApp.Command("hosts", "Create hosts with a host-factory token.", "secrets hostfactory hosts create -i app-01 -t TOKEN");
        hosts.Subcommands.Add(CreateHost(session));
        command.Subcommands.Add(tokens);
        command.Subcommands.Add(hosts);
        return command;
    }

    private static Command CreateTokens(CliSession session)
    {
        var factory = new Option<string>("--hostfactory-id", "-i") { Description = "Host factory id (prod/db or host_factory:prod/db).", Required = true, HelpName = "id" };
        var duration = new Option<string>("--duration") { Description = "How long the tokens are valid: 30m, 1h, 1h30m, 7d.", DefaultValueFactory = _ => "10m", HelpName = "duration" };
        var cidr = new Option<string[]>("--cidr", "-c") { Description = "Addresses or CIDR ranges allowed to use the tokens (repeat, or comma-separate).", HelpName = "cidr" };
        var count = new Option<int>("--count", "-n") { Description = "Number of tokens.", DefaultValueFactory = _ => 1, HelpName = "n" };
        var command = CliApp.Command(
            "create",
            "Create host-factory tokens and print them as JSON (expiration, cidr, token).",
            "secrets hostfactory tokens create --hostfactory-id prod/db --duration 1h --cidr 10.0.0.0/8");
        foreach (var option in new Option[] { factory, duration, cidr, count })
        {
            command.Options.Add(option);
        }

        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var lifetime = ParseDuration(parseResult.GetValue(duration) ?? "10m");
            if (parseResult.GetValue(count) < 1)
            {
                throw new UsageException("--count must be at least 1.");
            }

            var cidrs = (parseResult.GetValue(cidr) ?? [])
                .SelectMany(c => c.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .ToList();
            var client = session.Client(parseResult);
            var created = await client.CreateHostFactoryTokensAsync(
                Ids.Parse(parseResult.GetRequiredValue(factory), client.Account, "host_factory"),
                session.Now + lifetime,
                cidrs,
                parseResult.GetValue(count),
                cancellationToken);
            JsonOutput.Write(session.Out, created.Select(t => t.Raw).ToList());
        }));
        return command;
    }

    private static Command RevokeToken(CliSession session)
    {
        var token = new Option<string>("--token", "-t") { Description = "The token to revoke.", Required = true, HelpName = "token" };
        var command = CliApp.Command("revoke", "Revoke (delete) a host-factory token.", "secrets hostfactory tokens revoke -t 1bcarsc2bqvsxt6cnd74xem8yf15gtma71vp23y315n0z201c1jza7");
        command.Options.Add(token);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            await session.Client(parseResult).RevokeHostFactoryTokenAsync(parseResult.GetRequiredValue(token), cancellationToken);
            session.Out.WriteLine("Token revoked");
        }));
        return command;
    }

    private static Command CreateHost(CliSession session)
    {
        var id = new Option<string>("--id", "-i") { Description = "The new host's id (not namespaced by the factory's policy).", Required = true, HelpName = "id" };
        var token = new Option<string>("--token", "-t") { Description = "A host-factory token; no login is needed.", Required = true, HelpName = "token" };
        var annotations = new Option<string[]>("--annotation") { Description = "Annotation NAME=VALUE for the host (repeat).", HelpName = "name=value" };
        var command = CliApp.Command(
            "create",
            "Create (or re-enrol) a host with a host-factory token and print it as JSON, including its API key.",
            "secrets hostfactory hosts create -i app-01 -t \"$HF_TOKEN\"");
        command.Options.Add(id);
        command.Options.Add(token);
        command.Options.Add(annotations);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var annotation in parseResult.GetValue(annotations) ?? [])
            {
                var equals = annotation.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new UsageException($"--annotation '{annotation}' is not NAME=VALUE.");
                }

                pairs[annotation[..equals]] = annotation[(equals + 1)..];
            }

            var client = session.Client(parseResult, anonymous: true);
            var host = await client.CreateHostAsync(parseResult.GetRequiredValue(token), parseResult.GetRequiredValue(id), pairs, cancellationToken);
            JsonOutput.Write(session.Out, host.Raw);
        }));
        return command;
    }

    /// <summary>Go-style durations (<c>10m</c>, <c>1h30m</c>, <c>90s</c>) plus days (<c>7d</c>).</summary>
    internal static TimeSpan ParseDuration(string text)
    {
        var match = DurationPattern().Match(text.Trim());
        if (!match.Success)
        {
            throw new UsageException($"--duration '{text}' is not a duration such as 30m, 1h, 1h30m or 7d.");
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = part.Value[^1];
            var amount = long.Parse(part.Value[..^1], CultureInfo.InvariantCulture);
            total += unit switch
            {
                'd' => TimeSpan.FromDays(amount),
                'h' => TimeSpan.FromHours(amount),
                'm' => TimeSpan.FromMinutes(amount),
                _ => TimeSpan.FromSeconds(amount),
            };
        }

        return total > TimeSpan.Zero ? total : throw new UsageException("--duration must be longer than zero.");
    }

    [GeneratedRegex(@"^(?<part>[0-9]{1,6}[dhms])+$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();
}
