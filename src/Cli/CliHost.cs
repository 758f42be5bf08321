namespace Secrets.Cli;

/// <summary>
/// Everything the CLI takes from its process: standard streams, environment, home directory and the HTTP handler.
/// Tests build one per run so they never touch the real HOME, environment or console.
/// </summary>
public sealed class CliHost
{
    /// <summary>Standard output (binary safe: secret values are written byte for byte).</summary>
    public required Stream Stdout { get; init; }

    /// <summary>Standard error: messages, prompts, progress.</summary>
    public required TextWriter Stderr { get; init; }

    /// <summary>Standard input: <c>-f -</c> policies and values, prompts when not on a terminal.</summary>
    public required Stream Stdin { get; init; }

    /// <summary>The environment variables (<c>CONJUR_*</c>, <c>CONJURRC</c>, <c>XDG_CONFIG_HOME</c>, …).</summary>
    public required IReadOnlyDictionary<string, string?> Environment { get; init; }

    /// <summary>The home directory holding <c>.conjurrc</c> and <c>.netrc</c>.</summary>
    public required string Home { get; init; }

    /// <summary>An HTTP handler to use instead of the default (TLS trust from <c>cert_file</c> is then the handler's business).</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>The clock (token refresh decisions, host-factory token expiry).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Standard output is a terminal: a newline follows a secret value.</summary>
    public bool StdoutIsTerminal { get; init; }

    /// <summary>Standard input is a terminal: prompts are shown (a piped answer needs none).</summary>
    public bool StdinIsTerminal { get; init; }

    /// <summary>Standard error is a terminal: progress redraws one line.</summary>
    public bool StderrIsTerminal { get; init; }

    /// <summary>Reads a secret from the terminal without echo; null reads a line from <see cref="Stdin"/> instead.</summary>
    public Func<string, string?>? ReadSecretFromTerminal { get; init; }
}
