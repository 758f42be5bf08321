using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Secrets.Cli;

/// <summary>
/// <c>--help</c> prints the standard help and then an <c>Examples:</c> section for the command asked about
/// (kept out of the description so parent command lists stay one line per command).
/// </summary>
internal sealed class HelpWithExamples(HelpAction standard) : SynchronousCommandLineAction
{
    private static readonly ConditionalWeakTable<Command, string[]> Examples = [];

    public override bool ClearsParseErrors => true;

    public static void Register(Command command, string[] examples) => Examples.AddOrUpdate(command, examples);

    public static bool HasExamples(Command command) => Examples.TryGetValue(command, out var examples) && examples.Length > 0;

    public static void Install(Command root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExamples((HelpAction)help.Action!);
    }

    public override int Invoke(ParseResult parseResult)
    {
        var code = standard.Invoke(parseResult);
        if (Examples.TryGetValue(parseResult.CommandResult.Command, out var examples) && examples.Length > 0)
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(examples.Length > 1 ? "Examples:" : "Example:");
            foreach (var example in examples)
            {
                output.WriteLine($"  {example}");
            }

            output.WriteLine();
        }

        return code;
    }
}
