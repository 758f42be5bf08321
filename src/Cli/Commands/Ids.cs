using System.CommandLine;
using Secrets.Cli.Client;

namespace Secrets.Cli.Commands;

/// <summary>Reading ids from the command line: <c>-i ID</c> or a positional ID, as in both generations of the Conjur CLI.</summary>
internal static class Ids
{
    public static Option<string> Option(string description) =>
        new("--id", "-i") { Description = description, HelpName = "id" };

    public static Argument<string?> Argument(string description) =>
        new("ID") { Description = description, Arity = ArgumentArity.ZeroOrOne };

    public static string Require(ParseResult parseResult, Option<string> option, Argument<string?> argument)
    {
        var fromOption = parseResult.GetValue(option);
        var fromArgument = parseResult.GetValue(argument);
        return (fromOption, fromArgument) switch
        {
            ({ } o, { } a) when o != a => throw new UsageException("Give the id once: either -i ID or ID."),
            ({ } o, _) => o,
            (_, { } a) => a,
            _ => throw new UsageException("An id is required: -i ID (kind:identifier or account:kind:identifier)."),
        };
    }

    public static ResourceId Parse(string text, string account, string? defaultKind = null)
    {
        try
        {
            return ResourceId.Parse(text, account, defaultKind);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
