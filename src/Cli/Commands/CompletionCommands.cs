using System.CommandLine;
using System.Globalization;

namespace Secrets.Cli.Commands;

/// <summary>
/// Shell completion: <c>secrets completion SHELL</c> prints a script that asks <c>secrets __complete</c> for the
/// candidates, which System.CommandLine computes from the command tree (commands, options, option values).
/// </summary>
internal static class CompletionCommands
{
    public const string CompleteVerb = "__complete";

    private static readonly Dictionary<string, string> Scripts = new(StringComparer.Ordinal)
    {
        ["bash"] = """
            # secrets completion for bash. Load it with:  source <(secrets completion bash)
            _secrets_complete()
            {
                local IFS=$'\n'
                COMPREPLY=( $(compgen -W "$(secrets __complete --position "${COMP_POINT}" -- "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
            }
            complete -o default -F _secrets_complete secrets
            """,
        ["zsh"] = """
            # secrets completion for zsh. Load it with:  source <(secrets completion zsh)
            _secrets_complete()
            {
                local -a candidates
                candidates=("${(@f)$(secrets __complete --position "${CURSOR}" -- "${BUFFER}" 2>/dev/null)}")
                compadd -a candidates
            }
            compdef _secrets_complete secrets
            """,
        ["fish"] = """
            # secrets completion for fish. Load it with:  secrets completion fish | source
            complete -c secrets -f -a '(secrets __complete --position (string length -- (commandline -cp)) -- (commandline -cp) 2>/dev/null)'
            """,
        ["pwsh"] = """
            # secrets completion for PowerShell. Load it with:  secrets completion pwsh | Out-String | Invoke-Expression
            Register-ArgumentCompleter -Native -CommandName secrets -ScriptBlock {
                param($wordToComplete, $commandAst, $cursorPosition)
                secrets __complete --position $cursorPosition -- "$commandAst" | ForEach-Object {
                    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
                }
            }
            """,
    };

    public static Command Create(CliSession session)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh, fish or pwsh." };
        shell.AcceptOnlyFromAmong([.. Scripts.Keys]);
        var command = CliApp.Command(
            "completion",
            "Print the shell completion script for bash, zsh, fish or PowerShell.",
            "secrets completion bash > /etc/bash_completion.d/secrets",
            "source <(secrets completion zsh)");
        command.Arguments.Add(shell);
        command.SetAction(session.Run((parseResult, _) =>
        {
            session.Out.WriteLine(Scripts[parseResult.GetRequiredValue(shell)]);
            return Task.CompletedTask;
        }));
        return command;
    }

    /// <summary>
    /// <c>__complete --position N -- LINE</c>: LINE is the whole command line as the shell has it (starting with the
    /// program name), N the cursor offset in it. Prints one candidate per line.
    /// </summary>
    public static int Complete(Command root, string[] args, CliSession session)
    {
        var position = -1;
        string? line = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--position" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p))
            {
                position = p;
                i++;
            }
            else if (args[i] == "--")
            {
                line = string.Join(' ', args[(i + 1)..]);
                break;
            }
        }

        if (line is null)
        {
            session.Err.WriteLine("usage: secrets __complete --position N -- COMMAND-LINE");
            return ExitCodes.Usage;
        }

        // Drop the program name: the parser sees the arguments only.
        var start = 0;
        while (start < line.Length && char.IsWhiteSpace(line[start]))
        {
            start++;
        }

        while (start < line.Length && !char.IsWhiteSpace(line[start]))
        {
            start++;
        }

        var arguments = line[start..].TrimStart();
        var skipped = line.Length - arguments.Length;
        var cursor = position < 0 ? arguments.Length : Math.Clamp(position - skipped, 0, arguments.Length);
        var completions = root.Parse(arguments, CliApp.ParserConfiguration).GetCompletions(cursor);
        foreach (var completion in completions.Where(c => !c.Label.StartsWith('/') && c.Label != "-?"))
        {
            session.Out.WriteLine(completion.Label);
        }

        session.Out.Flush();
        return ExitCodes.Ok;
    }
}
