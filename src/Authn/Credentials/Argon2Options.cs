using System.Globalization;

namespace Secrets.Authn.Credentials;

/// <summary>
/// Argon2id cost parameters (RFC 9106) for new password hashes. Stored hashes carry their own parameters, so
/// changing these affects only passwords set (or rehashed, see <see cref="PasswordHasher.NeedsRehash"/>) later.
/// </summary>
/// <remarks>
/// The defaults are OWASP's first recommended Argon2id configuration (19 MiB, 2 passes, 1 lane). Measured on this
/// project's 2-core machine with Konscious 1.3.1 (Release build): 88–105 ms per hash when idle, up to ~230 ms
/// while parallel builds loaded the machine (for comparison 32 MiB/2/2 took 57 ms, 64 MiB/1/1 139 ms,
/// 64 MiB/2/1 192 ms). That is inside the 50–150 ms we aim for: slow enough to make offline guessing expensive,
/// fast enough for interactive logins. One lane keeps a login on one core, so concurrent logins do not fight over
/// both. Each hash holds <see cref="MemoryKib"/> of memory while it runs: the Server should bound concurrent
/// password checks.
/// </remarks>
public sealed record Argon2Options
{
    /// <summary>Smallest accepted memory cost, in KiB (8 MiB).</summary>
    public const int MinMemoryKib = 8 * 1024;

    /// <summary>Largest accepted memory cost, in KiB (1 GiB); also the limit when reading stored hashes.</summary>
    public const int MaxMemoryKib = 1024 * 1024;

    /// <summary>Largest accepted pass count; also the limit when reading stored hashes.</summary>
    public const int MaxIterations = 16;

    /// <summary>Largest accepted lane count; also the limit when reading stored hashes.</summary>
    public const int MaxParallelism = 16;

    /// <summary>Memory cost <c>m</c> in KiB. Default 19456 (19 MiB).</summary>
    public int MemoryKib { get; init; } = 19 * 1024;

    /// <summary>Number of passes <c>t</c>. Default 2.</summary>
    public int Iterations { get; init; } = 2;

    /// <summary>Number of lanes <c>p</c>. Default 1.</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>Salt length in bytes. Default 16 (RFC 9106 §3.1 recommends 16).</summary>
    public int SaltLength { get; init; } = 16;

    /// <summary>Hash (tag) length in bytes. Default 32.</summary>
    public int HashLength { get; init; } = 32;

    /// <summary>The problems with these options; empty when they are usable. For start-up validation.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        Check(errors, MemoryKib is >= MinMemoryKib and <= MaxMemoryKib, $"MemoryKib must be {MinMemoryKib}..{MaxMemoryKib}");
        Check(errors, Iterations is >= 1 and <= MaxIterations, $"Iterations must be 1..{MaxIterations}");
        Check(errors, Parallelism is >= 1 and <= MaxParallelism, $"Parallelism must be 1..{MaxParallelism}");
        Check(errors, SaltLength is >= 16 and <= 64, "SaltLength must be 16..64");
        Check(errors, HashLength is >= 16 and <= 64, "HashLength must be 16..64");
        return errors;
    }

    /// <summary>The PHC parameter segment, e.g. <c>m=19456,t=2,p=1</c>.</summary>
    internal string ParameterSegment =>
        string.Create(CultureInfo.InvariantCulture, $"m={MemoryKib},t={Iterations},p={Parallelism}");

    private static void Check(List<string> errors, bool condition, string message)
    {
        if (!condition)
        {
            errors.Add(message);
        }
    }
}
