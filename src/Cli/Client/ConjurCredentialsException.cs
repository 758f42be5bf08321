namespace Secrets.Cli.Client;

/// <summary>
/// The client cannot obtain an access token locally: no credentials were configured, or the token file of
/// <see cref="AccessTokenFileCredentials"/> / <see cref="WorkloadCredentials"/> cannot be read.
/// </summary>
public sealed class ConjurCredentialsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConjurCredentialsException()
        : this("No credentials are available.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ConjurCredentialsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ConjurCredentialsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
