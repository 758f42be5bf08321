using System.CommandLine;
using Secrets.Cli.Client;
using Secrets.Cli.Output;

namespace Secrets.Cli.Commands;

/// <summary><c>list</c>, <c>resource show|exists|permitted-roles</c> and <c>check</c>.</summary>
internal static class ResourceCommands
{
    public static Command CreateList(CliSession session)
    {
        var kind = new Option<string>("--kind", "-k") { Description = "Only this kind (user, host, variable, …).", HelpName = "kind" };
        var search = new Option<string>("--search", "-s") { Description = "Full-text search over ids and annotations.", HelpName = "text" };
        var limit = new Option<int?>("--limit", "-l") { Description = "Page size.", HelpName = "n" };
        var offset = new Option<int?>("--offset", "-o") { Description = "Page offset.", HelpName = "n" };
        var inspect = new Option<bool>("--inspect", "-i") { Description = "Print full resource objects instead of ids." };
        var role = new Option<string>("--role", "-r") { Description = "List as this role (a role you hold).", HelpName = "role" };
        var command = CliApp.Command(
            "list",
            "List the resources visible to you, as a JSON array of ids (or objects with -i).",
            "secrets list -k variable -s db",
            "secrets list -k host -l 50 -o 100 -i");
        foreach (var option in new Option[] { kind, search, limit, offset, inspect, role })
        {
            command.Options.Add(option);
        }

        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(limit) is <= 0)
            {
                throw new UsageException("--limit must be a positive integer.");
            }

            if (parseResult.GetValue(offset) is < 0)
            {
                throw new UsageException("--offset must be zero or more.");
            }

            var client = session.Client(parseResult);
            var actingAs = parseResult.GetValue(role) is { } r ? Ids.Parse(r, client.Account, "user").ToString() : null;
            var resources = await client.ListResourcesAsync(
                new ResourceListQuery
                {
                    Kind = parseResult.GetValue(kind),
                    Search = parseResult.GetValue(search),
                    Limit = parseResult.GetValue(limit),
                    Offset = parseResult.GetValue(offset),
                    Role = actingAs,
                },
                cancellationToken);
            if (parseResult.GetValue(inspect))
            {
                JsonOutput.Write(session.Out, resources.Select(x => x.Raw).ToList());
            }
            else
            {
                JsonOutput.Write(session.Out, resources.Select(x => x.Id).ToList());
            }
        }));
        return command;
    }

    public static Command Create(CliSession session)
    {
        var command = CliApp.Command("resource", "Inspect resources.", "secrets resource show -i variable:prod/db/password");
        command.Subcommands.Add(Show(session));
        command.Subcommands.Add(Exists(session));
        command.Subcommands.Add(PermittedRoles(session));
        return command;
    }

    public static Command CreateCheck(CliSession session)
    {
        var resource = new Argument<string>("RESOURCE") { Description = "Resource id (kind:identifier or account:kind:identifier)." };
        var privilege = new Argument<string>("PRIVILEGE") { Description = "Privilege: read, execute, update, …" };
        var role = new Option<string>("--role", "-r") { Description = "Check for this role (one you hold) instead of yourself.", HelpName = "role" };
        var command = CliApp.Command(
            "check",
            "Print true if you (or --role) hold PRIVILEGE on RESOURCE, else false.",
            "secrets check variable:prod/db/password execute",
            "secrets check variable:prod/db/password read -r host:prod/app");
        command.Arguments.Add(resource);
        command.Arguments.Add(privilege);
        command.Options.Add(role);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var client = session.Client(parseResult);
            var target = Ids.Parse(parseResult.GetRequiredValue(resource), client.Account);
            ResourceId? asRole = parseResult.GetValue(role) is { } r ? Ids.Parse(r, client.Account, "user") : null;
            var allowed = await client.CheckPermissionAsync(target, parseResult.GetRequiredValue(privilege), asRole, cancellationToken);
            session.Out.WriteLine(allowed ? "true" : "false");
        }));
        return command;
    }

    private static Command Show(CliSession session)
    {
        var (id, argument) = (Ids.Option("Resource id."), Ids.Argument("Resource id (instead of -i)."));
        var command = CliApp.Command("show", "Show a resource as JSON: owner, permissions, annotations and kind-specific fields.",
            "secrets resource show -i variable:prod/db/password");
        command.Options.Add(id);
        command.Arguments.Add(argument);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var client = session.Client(parseResult);
            var resource = await client.ShowResourceAsync(Ids.Parse(Ids.Require(parseResult, id, argument), client.Account), cancellationToken);
            JsonOutput.Write(session.Out, resource.Raw);
        }));
        return command;
    }

    private static Command Exists(CliSession session)
    {
        var (id, argument) = (Ids.Option("Resource id."), Ids.Argument("Resource id (instead of -i)."));
        var json = new Option<bool>("--json") { Description = "Print {\"exists\": true|false}." };
        var command = CliApp.Command("exists", "Print true if the resource exists (and is visible to you), else false.",
            "secrets resource exists -i host:prod/app");
        command.Options.Add(id);
        command.Arguments.Add(argument);
        command.Options.Add(json);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var client = session.Client(parseResult);
            var exists = await client.ResourceExistsAsync(Ids.Parse(Ids.Require(parseResult, id, argument), client.Account), cancellationToken);
            WriteBoolean(session, exists, parseResult.GetValue(json));
        }));
        return command;
    }

    private static Command PermittedRoles(CliSession session)
    {
        var (id, argument) = (Ids.Option("Resource id."), Ids.Argument("Resource id (instead of -i)."));
        var privilege = new Option<string>("--privilege", "-p") { Description = "The privilege.", Required = true, HelpName = "privilege" };
        var command = CliApp.Command("permitted-roles", "List the roles that hold a privilege on a resource (JSON array).",
            "secrets resource permitted-roles -i variable:prod/db/password -p execute");
        command.Options.Add(id);
        command.Arguments.Add(argument);
        command.Options.Add(privilege);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var client = session.Client(parseResult);
            var roles = await client.PermittedRolesAsync(
                Ids.Parse(Ids.Require(parseResult, id, argument), client.Account), parseResult.GetRequiredValue(privilege), cancellationToken);
            JsonOutput.Write(session.Out, roles);
        }));
        return command;
    }

    internal static void WriteBoolean(CliSession session, bool value, bool json)
    {
        if (json)
        {
            JsonOutput.Write(session.Out, new Dictionary<string, bool> { ["exists"] = value });
        }
        else
        {
            session.Out.WriteLine(value ? "true" : "false");
        }
    }
}
