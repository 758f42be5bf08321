namespace Secrets.Cli;

/// <summary>Process exit codes scripts can rely on (documented in docs/cli.md).</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The server refused (any HTTP error other than 404), could not be reached, or a local operation failed.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown command or option, missing or conflicting arguments, unreadable input file.</summary>
    public const int Usage = 2;

    /// <summary>Not configured or not logged in: no appliance URL/account, no credentials, unreadable token file.</summary>
    public const int NotLoggedIn = 3;

    /// <summary>The server answered 404: the variable, resource, role or policy does not exist or is not visible.</summary>
    public const int NotFound = 4;
}

/// <summary>The command line is wrong (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A local operation failed (exit code 1).</summary>
internal sealed class CliFailureException(string message) : Exception(message);
