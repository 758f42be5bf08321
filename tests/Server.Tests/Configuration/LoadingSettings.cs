using System.Security.Cryptography;
using Npgsql;
using Secrets.Server.Configuration;
using Secrets.Server.Data;

namespace Secrets.Server.Tests.Configuration;

/// <summary>SettingsLoader.Load over a dictionary: SECRETS_* names and their Conjur aliases (spec 9.1, house rule 8).</summary>
public sealed class LoadingSettings : IDisposable
{
    private static readonly byte[] KeyBytes = RandomNumberGenerator.GetBytes(32);
    private static readonly string Key = Convert.ToBase64String(KeyBytes);
    private const string PostgresUrl = "postgres://secrets:p%40ss%3Aword@db.example.com:5433/secrets_prod?sslmode=require";

    private readonly string _dir = Directory.CreateTempSubdirectory("secrets-settings-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData("SECRETS_DATA_KEY")]
    [InlineData("CONJUR_DATA_KEY")]
    public void The_data_key_comes_from_SECRETS_DATA_KEY_or_its_Conjur_alias(string name)
    {
        var settings = Load(new() { [name] = Key });

        Assert.Equal(KeyBytes, settings.Encryption.DataKey);
        Assert.False(File.Exists(Path.Combine(_dir, SettingsLoader.DataKeyFileName)));
    }

    [Fact]
    public void SECRETS_DATA_KEY_wins_over_CONJUR_DATA_KEY()
    {
        var settings = Load(new() { ["CONJUR_DATA_KEY"] = Convert.ToBase64String(new byte[32]), ["SECRETS_DATA_KEY"] = Key });

        Assert.Equal(KeyBytes, settings.Encryption.DataKey);
    }

    [Theory]
    [InlineData("SECRETS_DATA_KEY_FILE")]
    [InlineData("CONJUR_DATA_KEY_FILE")]
    public void The_data_key_can_come_from_a_file(string name)
    {
        var file = Path.Combine(_dir, "key-from-elsewhere");
        File.WriteAllText(file, Key + "\n");

        var settings = Load(new() { [name] = file, ["DATABASE_URL"] = PostgresUrl });

        Assert.Equal(KeyBytes, settings.Encryption.DataKey);
        Assert.Equal(file, settings.Encryption.Source);
    }

    [Fact]
    public void A_data_key_file_that_does_not_exist_is_a_clear_error()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(new() { ["SECRETS_DATA_KEY_FILE"] = Path.Combine(_dir, "missing") }));

        Assert.StartsWith("SECRETS_DATA_KEY_FILE:", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("c2hvcnQ=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")]
    public void A_data_key_that_is_not_base64_of_32_bytes_is_refused_without_echoing_it(string value)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(new() { ["CONJUR_DATA_KEY"] = value }));

        Assert.Contains("32 bytes", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_external_database_without_a_data_key_stops_start_up_naming_the_settings()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(new() { ["DATABASE_URL"] = PostgresUrl }, generate: true));

        Assert.Contains("SECRETS_DATA_KEY", e.Message, StringComparison.Ordinal);
        Assert.Contains("CONJUR_DATA_KEY", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, SettingsLoader.DataKeyFileName)));
    }

    [Fact]
    public void The_embedded_default_generates_a_0600_data_key_file_once_and_reuses_it()
    {
        var first = Load([], generate: true);
        var second = Load([], generate: true);

        var file = Path.Combine(_dir, SettingsLoader.DataKeyFileName);
        Assert.Equal(32, first.Encryption.DataKey.Length);
        Assert.Equal(first.Encryption.DataKey, second.Encryption.DataKey);
        Assert.Equal(first.Encryption.DataKey, Convert.FromBase64String(File.ReadAllText(file).Trim()));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        Assert.Equal(DatabaseProvider.Sqlite, first.Database.Provider);
        Assert.Equal($"sqlite:{Path.Combine(_dir, SettingsLoader.DatabaseFileName)}", first.Database.Describe());
        Assert.Equal(SettingsLoader.DefaultAccount, first.BootstrapAccount);
    }

    [Fact]
    public void A_missing_data_key_is_not_generated_unless_asked()
    {
        Assert.Throws<ConfigurationException>(() => Load([], generate: false));
        Assert.False(File.Exists(Path.Combine(_dir, SettingsLoader.DataKeyFileName)));
    }

    [Theory]
    [InlineData("SECRETS_DATABASE")]
    [InlineData("DATABASE_URL")]
    public void A_postgres_url_is_read_from_either_name_with_escaped_credentials_and_sslmode(string name)
    {
        var settings = Load(new() { [name] = PostgresUrl, ["SECRETS_DATA_KEY"] = Key });

        Assert.Equal(DatabaseProvider.Postgres, settings.Database.Provider);
        var b = new NpgsqlConnectionStringBuilder(settings.Database.ConnectionString);
        Assert.Equal("db.example.com", b.Host);
        Assert.Equal(5433, b.Port);
        Assert.Equal("secrets_prod", b.Database);
        Assert.Equal("secrets", b.Username);
        Assert.Equal("p@ss:word", b.Password);
        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal("postgres://db.example.com:5433/secrets_prod", settings.Database.Describe());
        Assert.Null(settings.BootstrapAccount);
    }

    [Fact]
    public void A_postgresql_url_without_port_or_password_uses_the_defaults()
    {
        var settings = Load(new() { ["DATABASE_URL"] = "postgresql://conjur@db/conjur?sslmode=verify-full", ["SECRETS_DATA_KEY"] = Key });

        var b = new NpgsqlConnectionStringBuilder(settings.Database.ConnectionString);
        Assert.Equal(("db", 5432, "conjur", "conjur", null, SslMode.VerifyFull), (b.Host, b.Port, b.Database, b.Username, b.Password, b.SslMode));
    }

    [Fact]
    public void An_npgsql_connection_string_is_accepted_as_is()
    {
        var settings = Load(new() { ["SECRETS_DATABASE"] = "Host=db;Port=6432;Username=u;Password=pw;Database=d", ["SECRETS_DATA_KEY"] = Key });

        var b = new NpgsqlConnectionStringBuilder(settings.Database.ConnectionString);
        Assert.Equal(DatabaseProvider.Postgres, settings.Database.Provider);
        Assert.Equal(("db", 6432, "u", "pw", "d"), (b.Host, b.Port, b.Username, b.Password, b.Database));
        Assert.DoesNotContain("pw", settings.Database.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_sqlite_path_selects_that_file()
    {
        var path = Path.Combine(_dir, "elsewhere", "my.db");

        var settings = Load(new() { ["DATABASE_URL"] = "sqlite:" + path, ["SECRETS_DATA_KEY"] = Key });

        Assert.Equal(DatabaseProvider.Sqlite, settings.Database.Provider);
        Assert.Equal("sqlite:" + path, settings.Database.Describe());
    }

    [Fact]
    public void SECRETS_DATABASE_wins_over_DATABASE_URL()
    {
        var settings = Load(new() { ["DATABASE_URL"] = PostgresUrl, ["SECRETS_DATABASE"] = "sqlite:/tmp/x.db", ["SECRETS_DATA_KEY"] = Key });

        Assert.Equal(DatabaseProvider.Sqlite, settings.Database.Provider);
    }

    [Theory]
    [InlineData("mysql://root:hunter2@db/secrets")]
    [InlineData("postgres://:hunter2@/db")]
    [InlineData("sqlite:")]
    [InlineData("hunter2")]
    public void An_unusable_database_setting_is_refused_without_echoing_it(string value)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(new() { ["DATABASE_URL"] = value, ["SECRETS_DATA_KEY"] = Key }));

        Assert.StartsWith("SECRETS_DATABASE/DATABASE_URL:", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SECRETS_ACCOUNT")]
    [InlineData("CONJUR_ACCOUNT")]
    public void The_bootstrap_account_comes_from_SECRETS_ACCOUNT_or_its_Conjur_alias(string name)
    {
        var settings = Load(new() { [name] = "myorg", ["DATABASE_URL"] = PostgresUrl, ["SECRETS_DATA_KEY"] = Key });

        Assert.Equal("myorg", settings.BootstrapAccount);
    }

    [Fact]
    public void SECRETS_ACCOUNT_wins_over_CONJUR_ACCOUNT()
    {
        var settings = Load(new() { ["CONJUR_ACCOUNT"] = "conjur", ["SECRETS_ACCOUNT"] = "secrets", ["SECRETS_DATA_KEY"] = Key });

        Assert.Equal("secrets", settings.BootstrapAccount);
    }

    [Theory]
    [InlineData("my org")]
    [InlineData("my:org")]
    [InlineData("my/org")]
    public void An_invalid_account_name_stops_start_up(string account)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(new() { ["CONJUR_ACCOUNT"] = account, ["SECRETS_DATA_KEY"] = Key }));

        Assert.StartsWith("SECRETS_ACCOUNT/CONJUR_ACCOUNT:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_lifetimes_default_to_480_seconds()
    {
        var settings = Load(new() { ["SECRETS_DATA_KEY"] = Key });

        Assert.Equal(TimeSpan.FromSeconds(480), settings.Tokens.UserTtl);
        Assert.Equal(TimeSpan.FromSeconds(480), settings.Tokens.HostTtl);
    }

    [Theory]
    [InlineData("CONJUR_USER_AUTHORIZATION_TOKEN_TTL", "600", 600, 480)]
    [InlineData("SECRETS_USER_TOKEN_TTL", "60", 60, 480)]
    [InlineData("CONJUR_HOST_AUTHORIZATION_TOKEN_TTL", "900", 480, 900)]
    [InlineData("SECRETS_HOST_TOKEN_TTL", "30", 480, 30)]
    [InlineData("CONJUR_USER_AUTHORIZATION_TOKEN_TTL", "999999", 18000, 480)]
    [InlineData("CONJUR_HOST_AUTHORIZATION_TOKEN_TTL", "-5", 480, 0)]
    public void Token_lifetimes_are_read_from_either_name_and_clamped_to_five_hours(string name, string value, int user, int host)
    {
        var settings = Load(new() { [name] = value, ["SECRETS_DATA_KEY"] = Key });

        Assert.Equal(TimeSpan.FromSeconds(user), settings.Tokens.UserTtl);
        Assert.Equal(TimeSpan.FromSeconds(host), settings.Tokens.HostTtl);
    }

    [Fact]
    public void The_SECRETS_token_lifetime_names_win_over_the_Conjur_names()
    {
        var settings = Load(new()
        {
            ["CONJUR_USER_AUTHORIZATION_TOKEN_TTL"] = "600",
            ["SECRETS_USER_TOKEN_TTL"] = "60",
            ["CONJUR_HOST_AUTHORIZATION_TOKEN_TTL"] = "900",
            ["SECRETS_HOST_TOKEN_TTL"] = "90",
            ["SECRETS_DATA_KEY"] = Key,
        });

        Assert.Equal(TimeSpan.FromSeconds(60), settings.Tokens.UserTtl);
        Assert.Equal(TimeSpan.FromSeconds(90), settings.Tokens.HostTtl);
    }

    [Fact]
    public void A_token_lifetime_that_is_not_a_number_names_the_setting()
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(new() { ["CONJUR_HOST_AUTHORIZATION_TOKEN_TTL"] = "8m", ["SECRETS_DATA_KEY"] = Key }));

        Assert.Contains("HOST", e.Message, StringComparison.Ordinal);
        Assert.Contains("TOKEN_TTL", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CONJUR_TRUSTED_PROXIES")]
    [InlineData("TRUSTED_PROXIES")]
    [InlineData("SECRETS_TRUSTED_PROXIES")]
    public void Trusted_proxies_are_read_from_any_of_their_names(string name)
    {
        var settings = Load(new() { [name] = "10.0.0.0/8, 192.168.1.5 ,2001:db8::/32", ["SECRETS_DATA_KEY"] = Key });

        Assert.Equal(["10.0.0.0/8", "192.168.1.5/32", "2001:db8::/32"], settings.Network.TrustedProxies.Select(n => n.ToString()));
    }

    [Fact]
    public void No_trusted_proxies_by_default()
    {
        Assert.Empty(Load(new() { ["SECRETS_DATA_KEY"] = Key }).Network.TrustedProxies);
    }

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.1")]
    [InlineData("10.0.0.0/33")]
    public void An_invalid_trusted_proxy_stops_start_up(string value)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(new() { ["CONJUR_TRUSTED_PROXIES"] = "127.0.0.1," + value, ["SECRETS_DATA_KEY"] = Key }));

        Assert.Contains("TRUSTED_PROXIES", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_have_defaults_and_can_be_set()
    {
        var defaults = Load(new() { ["SECRETS_DATA_KEY"] = Key });
        var set = Load(new()
        {
            ["SECRETS_DATA_KEY"] = Key,
            ["SECRETS_MAX_REQUEST_BODY_BYTES"] = "2048",
            ["SECRETS_VERSION_LIMIT"] = "5",
            ["POLICIES_VERSION_LIMIT"] = "7",
            ["CONJUR_API_RESOURCE_LIST_LIMIT_MAX"] = "0",
        });

        Assert.Equal(new LimitsOptions(16L * 1024 * 1024, 20, 20, 1000), defaults.Limits);
        Assert.Equal(new LimitsOptions(2048, 5, 7, 0), set.Limits);
    }

    [Theory]
    [InlineData("SECRETS_MAX_REQUEST_BODY_BYTES", "100")]
    [InlineData("SECRETS_MAX_REQUEST_BODY_BYTES", "lots")]
    [InlineData("SECRETS_VERSION_LIMIT", "0")]
    public void A_limit_out_of_range_names_the_setting(string name, string value)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load(new() { [name] = value, ["SECRETS_DATA_KEY"] = Key }));

        Assert.StartsWith(name + ":", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Authenticators_default_to_authn_and_accept_the_Conjur_name()
    {
        Assert.Equal(["authn"], Load(new() { ["SECRETS_DATA_KEY"] = Key }).Authenticators);
        Assert.Equal(["authn", "authn-jwt/github"], Load(new() { ["CONJUR_AUTHENTICATORS"] = "authn, authn-jwt/github", ["SECRETS_DATA_KEY"] = Key }).Authenticators);
    }

    [Fact]
    public void Audit_records_go_to_stdout_unless_SECRETS_AUDIT_says_otherwise()
    {
        Assert.Equal("stdout", Load(new() { ["SECRETS_DATA_KEY"] = Key }).Audit.Sink);
        Assert.Equal("none", Load(new() { ["SECRETS_AUDIT"] = "none", ["SECRETS_DATA_KEY"] = Key }).Audit.Sink);
    }

    [Fact]
    public void The_data_dir_comes_from_the_option_else_SECRETS_DATA_DIR()
    {
        var fromEnv = SettingsLoader.Load(k => k == "SECRETS_DATA_DIR" ? _dir : k == "SECRETS_DATA_KEY" ? Key : null, null, generateMissingDataKey: false);

        Assert.Equal(_dir, fromEnv.DataDir);
    }

    private ServerSettings Load(Dictionary<string, string> env, bool generate = false) =>
        SettingsLoader.Load(k => env.GetValueOrDefault(k), _dir, generate);
}
