using System.CommandLine;
using Secrets.Cli.Client;
using Secrets.Cli.Output;

namespace Secrets.Cli.Commands;

/// <summary><c>policy load|update|replace</c> (POST, PATCH, PUT on <c>/policies/ACCOUNT/policy/BRANCH</c>).</summary>
internal static class PolicyCommands
{
    public static Command Create(CliSession session)
    {
        var command = CliApp.Command(
            "policy",
            "Load policy YAML into a policy branch.",
            "secrets policy load -b root -f policy.yml");
        command.Subcommands.Add(Mode(session, "load", PolicyLoadMode.Load,
            "Add the records of the policy to the branch (POST); existing records are kept unchanged, deletions are rejected."));
        command.Subcommands.Add(Mode(session, "update", PolicyLoadMode.Update,
            "Add and update records, and execute !delete, !revoke and !deny statements (PATCH)."));
        command.Subcommands.Add(Mode(session, "replace", PolicyLoadMode.Replace,
            "Make the branch exactly the policy: records of the branch missing from the file are deleted (PUT)."));
        return command;
    }

    private static Command Mode(CliSession session, string name, PolicyLoadMode mode, string description)
    {
        var branch = new Option<string>("--branch", "-b") { Description = "The policy branch to load into (root, prod/db, …).", Required = true, HelpName = "branch" };
        var file = new Option<string>("--file", "-f") { Description = "The policy file, or - for standard input.", Required = true, HelpName = "file" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate and show what would be created, updated and deleted; change nothing." };
        var json = new Option<bool>("--json") { Description = "With --dry-run, print the server's JSON report instead of the summary." };
        var command = CliApp.Command(
            name,
            description + " Prints the server's JSON: created users and hosts with their API keys, and the new version.",
            $"secrets policy {name} -b root -f policy.yml",
            $"cat policy.yml | secrets policy {name} -b prod/db -f - --dry-run");
        command.Options.Add(branch);
        command.Options.Add(file);
        command.Options.Add(dryRun);
        command.Options.Add(json);
        command.SetAction(session.Run(async (parseResult, cancellationToken) =>
        {
            var target = parseResult.GetRequiredValue(branch);
            var path = parseResult.GetRequiredValue(file);
            var source = InputFile.Open(session, path);
            try
            {
                var client = session.Client(parseResult);
                IProgress<long>? progress = source is FileStream { Length: >= UploadProgress.Threshold } large
                    ? new UploadProgress(session.Err, Path.GetFileName(path), large.Length, session.Host.StderrIsTerminal)
                    : null;
                if (parseResult.GetValue(dryRun))
                {
                    var report = await client.DryRunPolicyAsync(mode, target, source, progress, cancellationToken);
                    if (parseResult.GetValue(json))
                    {
                        JsonOutput.Write(session.Out, report.Raw);
                    }
                    else
                    {
                        DryRunSummary.Write(session.Out, target, name, report.Raw);
                    }

                    return;
                }

                var result = await client.LoadPolicyAsync(mode, target, source, progress, cancellationToken);
                session.Err.WriteLine($"Loaded policy '{target}'");
                JsonOutput.Write(session.Out, result.Raw);
            }
            finally
            {
                if (path != "-")
                {
                    await source.DisposeAsync();
                }
            }
        }));
        return command;
    }
}
