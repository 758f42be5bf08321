using System.Globalization;
using System.Net;
using Secrets.Authn.Credentials;
using Secrets.Authn.Network;
using Secrets.Authn.Tokens;
using Secrets.Policy.Language;
using Secrets.Policy.Store;
using Secrets.Server.Data;

namespace Secrets.Server.Configuration;

/// <summary>Where the data key comes from; the key bytes themselves are read once at start-up.</summary>
internal sealed record EncryptionOptions(byte[] DataKey, string Source);

/// <summary>Access-token lifetimes (spec 3.2: default 480 s, clamped to 0…5 h, the bounds of <see cref="AccessTokens"/>).</summary>
internal sealed record TokenOptions(TimeSpan UserTtl, TimeSpan HostTtl);

/// <summary>
/// Proxies whose X-Forwarded-For is trusted (spec 1.3): the configured networks, plus loopback unless
/// SECRETS_TRUST_LOOPBACK_PROXY is false (then no proxy at all is trusted when none is configured).
/// </summary>
internal sealed record NetworkOptions(IReadOnlyList<IPNetwork> TrustedProxies, bool TrustLoopback = true)
{
    public TrustedProxies ToTrustedProxies() => new(TrustedProxies, TrustLoopback);
}

/// <summary>
/// Where audit records go (<c>SECRETS_AUDIT</c>: stdout, none or a file path) and whether a request whose record
/// cannot be written fails with 503 (<c>SECRETS_AUDIT_REQUIRED</c>, default true; false only logs the failure).
/// </summary>
internal sealed record AuditOptions(string Sink, bool Required = true);

/// <param name="HostFactoriesEnabled">CONJUR_HOST_FACTORIES_ENABLED (default true): false removes the host-factory routes (spec 2.8, 9.1).</param>
internal sealed record LimitsOptions(long MaxRequestBodyBytes, int SecretsVersionLimit, int PolicyVersionLimit, int ResourceListLimitMax, bool HostFactoriesEnabled = true)
{
    /// <summary>CONJUR_EFFECTIVE_POLICY_MAX_DEPTH: the cap and default of <c>depth</c> of GET effective policy (spec 2.5, 9.1).</summary>
    public int EffectivePolicyMaxDepth { get; init; } = 64;

    /// <summary>CONJUR_EFFECTIVE_POLICY_MAX_LIMIT: the cap and default of <c>limit</c> of GET effective policy.</summary>
    public int EffectivePolicyMaxLimit { get; init; } = 100_000;
}

/// <summary>
/// The server's whole configuration, resolved once from the environment (SECRETS_* names, with Conjur's names as
/// aliases) and the command line. Invalid values stop start-up with a message naming the setting, never the value.
/// </summary>
internal sealed record ServerSettings
{
    public required DatabaseTarget Database { get; init; }
    public required EncryptionOptions Encryption { get; init; }
    public required TokenOptions Tokens { get; init; }
    public required NetworkOptions Network { get; init; }
    public required AuditOptions Audit { get; init; }
    public required LimitsOptions Limits { get; init; }

    /// <summary>
    /// Record rules of policy loads (spec 4.2, 9.1): CONJUR_USERS_IN_ROOT_POLICY_ONLY (default false) and
    /// CONJUR_AUTHN_API_KEY_DEFAULT (default true; false makes hosts need the annotation authn/api-key: true); and the
    /// caps of rows one load may declare: SECRETS_POLICY_MAX_ROWS_PER_LINE (default 50, at least 10,000 in all) and
    /// SECRETS_POLICY_MAX_ROWS (default 2,000,000).
    /// </summary>
    public PolicyPlanOptions PolicyOptions { get; init; } = new();

    /// <summary>
    /// The process's one password hasher (Argon2id with the default parameters of <see cref="Argon2Options"/>), made
    /// with the settings so that start-up, the admin commands and the web host (which registers this instance) share
    /// it: its dummy hash, computed on first use, is what keeps unknown and existing logins equally slow.
    /// </summary>
    public PasswordHasher PasswordHasher { get; init; } = new(new Argon2Options());

    /// <summary>The data directory (embedded SQLite database, generated data key, bootstrap API key file).</summary>
    public required string DataDir { get; init; }

    /// <summary>Account created at first start when missing (SECRETS_ACCOUNT / CONJUR_ACCOUNT; "default" on the embedded default).</summary>
    public string? BootstrapAccount { get; init; }

    /// <summary>Statically enabled authenticators (SECRETS_AUTHENTICATORS / CONJUR_AUTHENTICATORS; default "authn").</summary>
    public required IReadOnlyList<string> Authenticators { get; init; }

    /// <summary>The workload authenticators' settings (<see cref="WorkloadIdentitySettings"/>).</summary>
    public WorkloadIdentitySettings WorkloadIdentity { get; init; } = new();

    /// <summary>The certificate files of the https URLs (<see cref="TlsSettings"/>), or null for plain HTTP only.</summary>
    public TlsSettings? Tls { get; init; }

    public bool Migrate { get; init; } = true;

    public string Urls { get; init; } = "http://127.0.0.1:8080";

    /// <summary>SECRETS_DATABASE_WAIT_SECONDS (default 60): how long start-up waits for a PostgreSQL that does not answer yet.</summary>
    public TimeSpan DatabaseWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>SECRETS_SHUTDOWN_TIMEOUT_SECONDS (default 30): how long SIGTERM waits for in-flight requests before the process exits.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

internal sealed class ConfigurationException(string message) : Exception(message);

internal static class SettingsLoader
{
    public const string DefaultAccount = "default";
    public const string DataKeyFileName = "data-key";
    public const string DatabaseFileName = "secrets.db";

    /// <summary>Reads the first of several names that is set (SECRETS_* first, then the Conjur alias).</summary>
    public static string? First(Func<string, string?> env, params string[] names)
    {
        foreach (var n in names)
        {
            var v = env(n);
            if (!string.IsNullOrWhiteSpace(v))
            {
                return v.Trim();
            }
        }

        return null;
    }

    /// <summary>
    /// SECRETS_DATA_DIR, else a per-user location: $XDG_DATA_HOME/secrets-server, else ~/.local/share/secrets-server.
    /// Not the working directory: `dotnet run --project src/Server` runs in the project folder, not where the user typed it.
    /// </summary>
    public static string DefaultDataDir(Func<string, string?> env)
    {
        if (First(env, "SECRETS_DATA_DIR") is { } configured)
        {
            return configured;
        }

        var xdg = First(env, "XDG_DATA_HOME");
        var home = First(env, "HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(xdg ?? Path.Combine(home, ".local", "share"), "secrets-server");
    }

    /// <summary>Resolves the settings. <paramref name="generateMissingDataKey"/> lets `serve` create a data key for the embedded default.</summary>
    public static ServerSettings Load(Func<string, string?> env, string? dataDirOption, bool generateMissingDataKey)
    {
        var dataDir = Path.GetFullPath(dataDirOption ?? DefaultDataDir(env));
        if (File.Exists(dataDir))
        {
            throw new ConfigurationException(
                $"the data directory '{dataDir}' is a file, not a directory: choose a directory with --data-dir or SECRETS_DATA_DIR");
        }

        var dbSetting = First(env, "SECRETS_DATABASE", "DATABASE_URL");
        DatabaseTarget database;
        var embedded = dbSetting is null;
        if (dbSetting is null)
        {
            database = DatabaseTarget.ForSqliteFile(Path.Combine(dataDir, DatabaseFileName));
        }
        else
        {
            database = DatabaseTarget.Parse(dbSetting, out var error) ?? throw new ConfigurationException($"SECRETS_DATABASE/DATABASE_URL: {error}");
        }

        if (First(env, "SECRETS_SQLITE_MAX_PAGE_COUNT") is not null)
        {
            database = database with { SqliteMaxPageCount = Integer(env, "SECRETS_SQLITE_MAX_PAGE_COUNT", 0, 1, int.MaxValue) };
        }

        var encryption = LoadDataKey(env, dataDir, generateMissingDataKey && embedded);

        // SECRETS_* first, then the Conjur name, as for every other setting.
        var tokens = new TokenOptions(
            Ttl(env, "SECRETS_USER_TOKEN_TTL", "CONJUR_USER_AUTHORIZATION_TOKEN_TTL"),
            Ttl(env, "SECRETS_HOST_TOKEN_TTL", "CONJUR_HOST_AUTHORIZATION_TOKEN_TTL"));

        // The same strict parser the client-address resolution uses: dotted quads only (no `10.1` shorthand read as
        // 10.0.0.1), no host bits after the prefix; the error is Conjur's CONJ00065E naming the bad entry.
        if (!TrustedProxies.TryParse(First(env, "SECRETS_TRUSTED_PROXIES", "CONJUR_TRUSTED_PROXIES", "TRUSTED_PROXIES"), out var trusted, out var proxyError))
        {
            throw new ConfigurationException("CONJUR_TRUSTED_PROXIES: " + proxyError);
        }

        var proxies = trusted.Networks;

        var authenticators = (First(env, "SECRETS_AUTHENTICATORS", "CONJUR_AUTHENTICATORS") ?? "authn")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        var account = First(env, "SECRETS_ACCOUNT", "CONJUR_ACCOUNT") ?? (embedded ? DefaultAccount : null);
        if (account is not null && !AccountName.IsValid(account))
        {
            throw new ConfigurationException("SECRETS_ACCOUNT/CONJUR_ACCOUNT: an account name may not be empty or contain a space, ':' or '/'");
        }

        return new ServerSettings
        {
            Database = database,
            Encryption = encryption,
            Tokens = tokens,
            Network = new NetworkOptions(proxies, Boolean(env, true, "SECRETS_TRUST_LOOPBACK_PROXY")),
            Audit = new AuditOptions(First(env, "SECRETS_AUDIT") ?? "stdout", Boolean(env, true, "SECRETS_AUDIT_REQUIRED")),
            Limits = new LimitsOptions(
                Integer(env, "SECRETS_MAX_REQUEST_BODY_BYTES", 16L * 1024 * 1024, 1024, long.MaxValue),
                (int)Integer(env, "SECRETS_VERSION_LIMIT", 20, 1, 1000),
                (int)Integer(env, "POLICIES_VERSION_LIMIT", 20, 1, 1000),
                (int)Integer(env, "CONJUR_API_RESOURCE_LIST_LIMIT_MAX", 1000, 0, int.MaxValue),
                Boolean(env, true, "SECRETS_HOST_FACTORIES_ENABLED", "CONJUR_HOST_FACTORIES_ENABLED"))
            {
                EffectivePolicyMaxDepth = (int)Integer(env, "CONJUR_EFFECTIVE_POLICY_MAX_DEPTH", 64, 0, int.MaxValue),
                EffectivePolicyMaxLimit = (int)Integer(env, "CONJUR_EFFECTIVE_POLICY_MAX_LIMIT", 100_000, 0, int.MaxValue),
            },
            PolicyOptions = new PolicyPlanOptions
            {
                UsersInRootPolicyOnly = Boolean(env, false, "SECRETS_USERS_IN_ROOT_POLICY_ONLY", "CONJUR_USERS_IN_ROOT_POLICY_ONLY"),
                HostsRequireApiKeyAnnotation = !Boolean(env, true, "SECRETS_AUTHN_API_KEY_DEFAULT", "CONJUR_AUTHN_API_KEY_DEFAULT"),
                MaxRowsPerLine = (int)Integer(env, "SECRETS_POLICY_MAX_ROWS_PER_LINE", 50, 1, 1_000_000),
                MaxRows = Integer(env, "SECRETS_POLICY_MAX_ROWS", 2_000_000, 1, long.MaxValue),
            },
            DataDir = dataDir,
            BootstrapAccount = account,
            Authenticators = authenticators,
            WorkloadIdentity = WorkloadIdentitySettings.Load(env, Boolean(env, false, "SECRETS_AUTHN_ALLOW_HTTP")),
            Tls = TlsSettings.Load(env),
            DatabaseWait = TimeSpan.FromSeconds(Integer(env, "SECRETS_DATABASE_WAIT_SECONDS", 60, 0, 3600)),
            ShutdownTimeout = TimeSpan.FromSeconds(Integer(env, "SECRETS_SHUTDOWN_TIMEOUT_SECONDS", 30, 0, 3600)),
        };
    }

    private static TimeSpan Ttl(Func<string, string?> env, params string[] names)
    {
        var raw = First(env, names);
        if (raw is null)
        {
            return AccessTokens.DefaultTimeToLive;
        }

        if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
        {
            throw new ConfigurationException($"{names[0]}: must be a whole number of seconds");
        }

        // Conjur clamps rather than refuses (spec 3.2).
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 0, (long)AccessTokens.MaximumTimeToLive.TotalSeconds));
    }

    /// <summary>true/false, yes/no, on/off or 1/0 (any case); anything else stops start-up naming the setting.</summary>
    private static bool Boolean(Func<string, string?> env, bool fallback, params string[] names)
    {
        var raw = First(env, names);
        return raw?.ToUpperInvariant() switch
        {
            null => fallback,
            "TRUE" or "YES" or "ON" or "1" => true,
            "FALSE" or "NO" or "OFF" or "0" => false,
            _ => throw new ConfigurationException($"{names[^1]}: must be true or false"),
        };
    }

    private static long Integer(Func<string, string?> env, string name, long fallback, long min, long max)
    {
        var raw = First(env, name);
        if (raw is null)
        {
            return fallback;
        }

        if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new ConfigurationException($"{name}: must be a whole number between {min} and {max}");
        }

        return value;
    }

    private static EncryptionOptions LoadDataKey(Func<string, string?> env, string dataDir, bool mayGenerate)
    {
        var inline = First(env, "SECRETS_DATA_KEY", "CONJUR_DATA_KEY");
        if (inline is not null)
        {
            return new EncryptionOptions(DecodeKey(inline, "SECRETS_DATA_KEY/CONJUR_DATA_KEY"), "environment");
        }

        var file = First(env, "SECRETS_DATA_KEY_FILE", "CONJUR_DATA_KEY_FILE");
        if (file is not null)
        {
            if (!File.Exists(file))
            {
                throw new ConfigurationException($"SECRETS_DATA_KEY_FILE: file '{file}' does not exist");
            }

            return new EncryptionOptions(DecodeKey(File.ReadAllText(file), "SECRETS_DATA_KEY_FILE"), file);
        }

        var local = Path.Combine(dataDir, DataKeyFileName);
        var entry = new FileInfo(local);
        if (entry.LinkTarget is not null && entry.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true })
        {
            // A link to nothing: generating would create the key wherever the link points.
            throw new ConfigurationException($"the data key file '{local}' is a symbolic link to a missing file; remove it or point it at the key");
        }

        if (File.Exists(local))
        {
            FilePermissions.RequireOwnerOnly(local);
            return new EncryptionOptions(DecodeKey(File.ReadAllText(local), local), local);
        }

        if (!mayGenerate)
        {
            throw new ConfigurationException(
                "no data key: set SECRETS_DATA_KEY (or CONJUR_DATA_KEY) to the base64 of 32 random bytes, "
                + "or SECRETS_DATA_KEY_FILE to a file holding it; `data-key generate` prints a fresh one");
        }

        FilePermissions.CreatePrivateDirectory(dataDir);
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        FilePermissions.WriteSecretFile(local, Convert.ToBase64String(key) + "\n");
        return new EncryptionOptions(key, local);
    }

    private static byte[] DecodeKey(string value, string source)
    {
        try
        {
            var key = Convert.FromBase64String(value.Trim());
            if (key.Length == 32)
            {
                return key;
            }
        }
        catch (FormatException)
        {
        }

        throw new ConfigurationException($"{source}: the data key must be the base64 encoding of exactly 32 bytes");
    }
}

internal static class FilePermissions
{
    /// <summary>Creates a directory (and missing parents) readable by its owner only (0700); an existing one is left as it is.</summary>
    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Writes a file readable by its owner only (0600). The contents go to a new file in the same directory, created
    /// exclusively (O_CREAT|O_EXCL: never an existing file, never through a symlink) with mode 0600 before the first
    /// byte is written, which is then renamed over <paramref name="path"/>. The rename replaces whatever was at the path,
    /// a symlink included, without following it, so a planted link cannot redirect the key to a file of its choosing.
    /// </summary>
    public static void WriteSecretFile(string path, string contents)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerReadWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(contents);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                // The process umask can only remove bits from the create mode; this makes the mode exact.
                File.SetUnixFileMode(temporary, OwnerReadWrite);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// Refuses a key file that its group or others may read, write or execute, as ssh refuses a readable private key:
    /// the key may already have leaked, and starting would hide that.
    /// </summary>
    public static void RequireOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) != 0)
        {
            throw new ConfigurationException(
                $"the data key file '{path}' is accessible by others (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); "
                + "it must be readable by its owner only: run `chmod 600` on it (and consider the key exposed)");
        }
    }
}
