using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace Secrets.Authn.Credentials;

/// <summary>
/// Hashes and verifies passwords with Argon2id, stored as PHC strings
/// <c>$argon2id$v=19$m=…,t=…,p=…$&lt;salt&gt;$&lt;hash&gt;</c> (salt and hash in unpadded standard Base64, as the
/// reference implementation writes them). Thread-safe; register one.
/// </summary>
/// <remarks>
/// Conjur stores bcrypt (cost 12) hashes (spec 2.1, 6.3); Argon2id is the current recommendation (RFC 9106) and
/// the clients never see the hash, so the choice is ours.
/// </remarks>
public sealed class PasswordHasher
{
    private const string Prefix = "$argon2id$v=19$";

    // A fixed value: what the dummy hash is a hash *of* does not matter, only that computing against it costs what
    // a real verification costs. It is no one's password.
    private static readonly byte[] DummyPassword = "secrets dummy password for timing equalisation"u8.ToArray();

    private readonly Argon2Options _options;
    private readonly Lazy<string> _dummyHash;

    /// <summary>Creates a hasher writing new hashes with <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The options fail <see cref="Argon2Options.Validate"/>.</exception>
    public PasswordHasher(Argon2Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Argon2 options: " + string.Join("; ", errors), nameof(options));
        }

        _options = options;
        _dummyHash = new Lazy<string>(() => HashBytes(DummyPassword), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The options new hashes are written with.</summary>
    public Argon2Options Options => _options;

    /// <summary>The hash <see cref="VerifyDummy"/> verifies against (for tests).</summary>
    internal string DummyHash => _dummyHash.Value;

    /// <summary>Hashes <paramref name="password"/> (its UTF-8 bytes) with a fresh random salt.</summary>
    /// <exception cref="ArgumentException">The password is empty (never a valid password, see <see cref="PasswordPolicy"/>).</exception>
    public string Hash(string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        var bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return HashBytes(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// Whether <paramref name="password"/> matches <paramref name="encodedHash"/>, using the parameters, salt and
    /// length written in the hash itself (not the current options), compared in constant time. A hash that is not
    /// a well-formed Argon2id PHC string within <see cref="Argon2Options"/>' limits never matches; the limits keep
    /// a tampered row from making one login cost gigabytes or minutes.
    /// </summary>
    [SuppressMessage("Performance", "CA1822:Mark members as static",
        Justification = "Instance API on purpose: callers hold the registered hasher, as for Hash and VerifyDummy.")]
    public bool Verify(string password, string encodedHash)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!PasswordHashString.TryParse(encodedHash, out var parsed))
        {
            return false;
        }

        // The Argon2 library refuses an empty password; hash a stand-in byte instead so that an empty guess costs
        // the same as any other, and never let it match.
        var bytes = password.Length == 0 ? [0] : Encoding.UTF8.GetBytes(password);
        try
        {
            var computed = Compute(bytes, parsed.Salt, parsed.MemoryKib, parsed.Iterations, parsed.Parallelism, parsed.Hash.Length);
            return CryptographicOperations.FixedTimeEquals(computed, parsed.Hash) && password.Length > 0;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// Spends the time of a real <see cref="Verify"/> without checking anything: call it when the login names no
    /// role, or a role without a password, so that the response time does not reveal whether the role exists.
    /// </summary>
    /// <remarks>
    /// Without this, "unknown user" answers in microseconds and "wrong password" in ~100 ms, and the difference
    /// enumerates valid logins. HashiCorp Vault's userpass login does the same (it compares against a dummy bcrypt
    /// hash when the user is missing). The dummy hash is computed once, with the current options, on first use.
    /// </remarks>
    public void VerifyDummy(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        _ = Verify(password, _dummyHash.Value);
    }

    /// <summary>
    /// Whether <paramref name="encodedHash"/> was written with parameters other than the current options (or is not
    /// ours at all): after a successful login the Server may store a fresh <see cref="Hash"/>.
    /// </summary>
    public bool NeedsRehash(string encodedHash) =>
        !PasswordHashString.TryParse(encodedHash, out var parsed)
        || parsed.MemoryKib != _options.MemoryKib
        || parsed.Iterations != _options.Iterations
        || parsed.Parallelism != _options.Parallelism
        || parsed.Salt.Length != _options.SaltLength
        || parsed.Hash.Length != _options.HashLength;

    private string HashBytes(byte[] password)
    {
        var salt = RandomNumberGenerator.GetBytes(_options.SaltLength);
        var hash = Compute(password, salt, _options.MemoryKib, _options.Iterations, _options.Parallelism, _options.HashLength);
        return string.Concat(Prefix, _options.ParameterSegment, "$", PasswordHashString.EncodeBase64(salt), "$", PasswordHashString.EncodeBase64(hash));
    }

    private static byte[] Compute(byte[] password, byte[] salt, int memoryKib, int iterations, int parallelism, int length)
    {
        using var argon2 = new Argon2id(password)
        {
            Salt = salt,
            MemorySize = memoryKib,
            Iterations = iterations,
            DegreeOfParallelism = parallelism,
        };
        return argon2.GetBytes(length);
    }
}

/// <summary>A parsed <c>$argon2id$v=19$m=…,t=…,p=…$salt$hash</c> string.</summary>
internal sealed record PasswordHashString(int MemoryKib, int Iterations, int Parallelism, byte[] Salt, byte[] Hash)
{
    /// <summary>
    /// Parses strictly: Argon2id version 19 only, parameters in the order m, t, p as plain decimals, salt 8–64
    /// bytes, hash 16–64 bytes, memory at least 8 KiB per lane (the algorithm's minimum) and within the
    /// <see cref="Argon2Options"/> upper limits.
    /// </summary>
    public static bool TryParse(string? encoded, out PasswordHashString parsed)
    {
        parsed = null!;
        if (encoded is null || !encoded.StartsWith("$argon2id$v=19$", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = encoded.Split('$');
        // "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
        if (parts.Length != 6)
        {
            return false;
        }

        var parameters = parts[3].Split(',');
        if (parameters.Length != 3
            || !TryReadParameter(parameters[0], "m=", out var memory)
            || !TryReadParameter(parameters[1], "t=", out var iterations)
            || !TryReadParameter(parameters[2], "p=", out var parallelism)
            || parallelism is < 1 or > Argon2Options.MaxParallelism
            || iterations is < 1 or > Argon2Options.MaxIterations
            || memory < 8 * parallelism || memory > Argon2Options.MaxMemoryKib
            || !TryDecodeBase64(parts[4], out var salt) || salt.Length is < 8 or > 64
            || !TryDecodeBase64(parts[5], out var hash) || hash.Length is < 16 or > 64)
        {
            return false;
        }

        parsed = new PasswordHashString(memory, iterations, parallelism, salt, hash);
        return true;
    }

    /// <summary>Standard Base64 without padding (the PHC string format's "B64").</summary>
    public static string EncodeBase64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static bool TryReadParameter(string text, string name, out int value)
    {
        value = 0;
        var digits = text.AsSpan();
        if (!digits.StartsWith(name, StringComparison.Ordinal))
        {
            return false;
        }

        digits = digits[name.Length..];
        // Plain decimals without leading zeros, as the PHC format requires; at most 10 digits fits an int check.
        return digits.Length is > 0 and <= 10
            && (digits.Length == 1 || digits[0] != '0')
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0 || text.Length % 4 == 1 || text.Contains('=', StringComparison.Ordinal))
        {
            return false;
        }

        var padded = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
        var buffer = new byte[padded.Length / 4 * 3];
        if (!Convert.TryFromBase64String(padded, buffer, out var written))
        {
            return false;
        }

        bytes = buffer[..written];
        return true;
    }
}
