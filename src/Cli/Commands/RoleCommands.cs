using System.CommandLine;
using Secrets.Cli.Output;

namespace Secrets.Cli.Commands;

/// <summary><c>role show|exists|members|memberships</c>.</summary>
internal static class RoleCommands
{
    public static Command Create(CliSession session)
    {
        var command = CliApp.Command("role", "Inspect roles and their memberships.", "secrets role members -i group:ops");
        command.Subcommands.Add(Show(session));
        command.Subcommands.Add(Exists(session));
        command.Subcommands.Add(Members(session));
        command.Subcommands.Add(Memberships(session));
        return command;
    }

    private static Command Show(CliSession session)
    {
        var (id, argument) = (Ids.Option("Role id."), Ids.Argument("Role id (instead of -i)."));
        var command = CliApp.Command("show", "Show a role as JSON with its direct members.", "secrets role show -i group:ops");
        command.Options.Add(id);
        command.Arguments.Add(argument);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var client = session.Client(parseResult);
            var role = await client.ShowRoleAsync(Ids.Parse(Ids.Require(parseResult, id, argument), client.Account, "user"), cancellationToken);
            JsonOutput.Write(session.Out, role.Raw);
        }));
        return command;
    }

    private static Command Exists(CliSession session)
    {
        var (id, argument) = (Ids.Option("Role id."), Ids.Argument("Role id (instead of -i)."));
        var json = new Option<bool>("--json") { Description = "Print {\"exists\": true|false}." };
        var command = CliApp.Command("exists", "Print true if the role exists (and is visible to you), else false.", "secrets role exists -i host:prod/app");
        command.Options.Add(id);
        command.Arguments.Add(argument);
        command.Options.Add(json);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var client = session.Client(parseResult);
            var exists = await client.RoleExistsAsync(Ids.Parse(Ids.Require(parseResult, id, argument), client.Account, "user"), cancellationToken);
            ResourceCommands.WriteBoolean(session, exists, parseResult.GetValue(json));
        }));
        return command;
    }

    private static Command Members(CliSession session)
    {
        var (id, argument) = (Ids.Option("Role id."), Ids.Argument("Role id (instead of -i)."));
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print role, member and admin_option of each grant instead of member ids." };
        var command = CliApp.Command("members", "List the direct members of a role (JSON array of ids).", "secrets role members -i group:ops -v");
        command.Options.Add(id);
        command.Arguments.Add(argument);
        command.Options.Add(verbose);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var client = session.Client(parseResult);
            var grants = await client.RoleMembersAsync(Ids.Parse(Ids.Require(parseResult, id, argument), client.Account, "user"), cancellationToken);
            if (parseResult.GetValue(verbose))
            {
                JsonOutput.Write(session.Out, grants.Select(g => new Dictionary<string, object> { ["role"] = g.Role, ["member"] = g.Member, ["admin_option"] = g.AdminOption }).ToList());
            }
            else
            {
                JsonOutput.Write(session.Out, grants.Select(g => g.Member).ToList());
            }
        }));
        return command;
    }

    private static Command Memberships(CliSession session)
    {
        var (id, argument) = (Ids.Option("Role id."), Ids.Argument("Role id (instead of -i)."));
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Every role held, directly or through other roles (including the role itself)." };
        var command = CliApp.Command("memberships", "List the roles a role is a member of (JSON array of ids).", "secrets role memberships -i user:alice -r");
        command.Options.Add(id);
        command.Arguments.Add(argument);
        command.Options.Add(recursive);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var client = session.Client(parseResult);
            var role = Ids.Parse(Ids.Require(parseResult, id, argument), client.Account, "user");
            var roles = parseResult.GetValue(recursive)
                ? await client.AllMembershipsAsync(role, cancellationToken)
                : (await client.RoleMembershipsAsync(role, cancellationToken)).Select(g => g.Role).ToList();
            JsonOutput.Write(session.Out, roles);
        }));
        return command;
    }
}
