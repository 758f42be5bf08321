using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Secrets.Server.Authentication;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;
using Secrets.Server.Http;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authentication;

/// <summary>
/// The server's TokenService over its key ring (spec 3): issuing with the configured lifetimes and verifying into a
/// caller or the exact error of spec 1.2. The key ring reads a real (SQLite) database prepared as at start-up.
/// </summary>
public sealed class IssuingAndVerifyingTokensInTheServer(KeyRingFixture ring) : IClassFixture<KeyRingFixture>
{
    private const string Account = KeyRingFixture.Account;
    private static readonly IPAddress Client = IPAddress.Parse("10.1.2.3");

    [Fact]
    public async Task An_issued_token_verifies_into_its_caller()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-05-01T10:00:00.750Z", System.Globalization.CultureInfo.InvariantCulture));
        var tokens = Service(time);

        var token = await tokens.IssueAsync(Account, $"{Account}:user:alice@dev-db", CancellationToken.None);
        var outcome = tokens.Verify(ServerFixtureHeader(token!), Client);

        Assert.Null(outcome.Error);
        Assert.Equal(new Caller(Account, $"{Account}:user:alice@dev-db", "alice@dev-db", DateTimeOffset.Parse("2026-05-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)), outcome.Caller);
    }

    [Theory]
    [InlineData("acct:user:alice", 60)]
    [InlineData("acct:host:app/01", 120)]
    [InlineData("acct:user:host-like", 60)]
    public async Task Hosts_and_users_get_their_own_lifetimes(string roleId, int seconds)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = Service(time, user: TimeSpan.FromSeconds(60), host: TimeSpan.FromSeconds(120));

        var token = (await tokens.IssueAsync(Account, roleId, CancellationToken.None))!;
        var claims = TokenForge.DecodedPayload(token);

        Assert.Equal(seconds, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
        time.Advance(TimeSpan.FromSeconds(seconds - 1));
        Assert.Null(tokens.Verify(ServerFixtureHeader(token), Client).Error);
        time.Advance(TimeSpan.FromSeconds(1));
        AssertError(tokens.Verify(ServerFixtureHeader(token), Client), 401, "Unauthorized: Invalid token");
    }

    [Fact]
    public async Task A_lifetime_of_zero_still_issues_a_one_second_token()
    {
        var tokens = Service(new FakeTimeProvider(DateTimeOffset.UtcNow), user: TimeSpan.Zero);

        var claims = TokenForge.DecodedPayload((await tokens.IssueAsync(Account, $"{Account}:user:alice", CancellationToken.None))!);

        Assert.Equal(1, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
    }

    [Fact]
    public async Task No_token_is_issued_for_an_account_without_a_signing_key()
    {
        Assert.Null(await Service(new FakeTimeProvider()).IssueAsync("no-such-account", "no-such-account:user:admin", CancellationToken.None));
    }

    [Fact]
    public async Task A_tampered_payload_or_signature_is_invalid()
    {
        var tokens = Service(new FakeTimeProvider(DateTimeOffset.UtcNow));
        var token = (await tokens.IssueAsync(Account, $"{Account}:user:alice", CancellationToken.None))!;
        var (header, payload, signature) = TokenForge.Fields(token);
        var otherPayload = TokenForge.UrlSafe(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(TokenForge.FromUrlSafe(payload)).Replace("alice", "admin", StringComparison.Ordinal)));
        var sig = TokenForge.FromUrlSafe(signature);
        sig[^1] ^= 1;

        AssertError(tokens.Verify(ServerFixtureHeader($"{{\"protected\":\"{header}\",\"payload\":\"{otherPayload}\",\"signature\":\"{signature}\"}}"), Client), 401, "Unauthorized: Invalid token");
        AssertError(tokens.Verify(ServerFixtureHeader($"{{\"protected\":\"{header}\",\"payload\":\"{payload}\",\"signature\":\"{TokenForge.UrlSafe(sig)}\"}}"), Client), 401, "Unauthorized: Invalid token");
    }

    [Fact]
    public void A_token_from_an_unknown_key_is_invalid()
    {
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = TokenForge.Sign(stranger, TokenForge.Header(stranger), TokenForge.Claims(DateTimeOffset.UtcNow, "admin"));

        AssertError(Service(new FakeTimeProvider(DateTimeOffset.UtcNow)).Verify(ServerFixtureHeader(token), Client), 401, "Unauthorized: Invalid token");
    }

    [Fact]
    public void A_token_with_an_unknown_claim_is_refused()
    {
        using var key = ring.AccountKey();
        var token = TokenForge.Sign(key, TokenForge.Header(key), TokenForge.Claims(DateTimeOffset.UtcNow, "admin", extra: "\"role\":\"admin\""));

        AssertError(Service(new FakeTimeProvider(DateTimeOffset.UtcNow)).Verify(ServerFixtureHeader(token), Client), 401, "token contains unrecognized claims");
    }

    [Theory]
    [InlineData("[\"10.0.0.0/8\"]", "10.1.2.3", null)]
    [InlineData("\"10.1.2.3\"", "10.1.2.3", null)]
    [InlineData("[\"192.168.0.0/16\",\"10.1.0.0/16\"]", "10.1.2.3", null)]
    [InlineData("[\"192.168.0.0/16\"]", "10.1.2.3", "IP address rejected")]
    [InlineData("[\"10.0.0.0/8\"]", "::ffff:10.1.2.3", null)]
    [InlineData("[\"10.0.0.0/8\"]", null, "IP address rejected")]
    [InlineData("[]", "10.1.2.3", null)]
    public void A_cidr_claim_admits_only_its_addresses(string cidr, string? client, string? error)
    {
        using var key = ring.AccountKey();
        var token = TokenForge.Sign(key, TokenForge.Header(key), TokenForge.Claims(DateTimeOffset.UtcNow, "admin", extra: $"\"cidr\":{cidr}"));

        var outcome = Service(new FakeTimeProvider(DateTimeOffset.UtcNow)).Verify(ServerFixtureHeader(token), client is null ? null : IPAddress.Parse(client));

        if (error is null)
        {
            Assert.Null(outcome.Error);
            Assert.Equal($"{Account}:user:admin", outcome.Caller?.RoleId);
        }
        else
        {
            AssertError(outcome, 403, error);
        }
    }

    [Theory]
    [InlineData(null, "Authorization missing")]
    [InlineData("", "Authorization missing")]
    [InlineData("Token token=\"%%%\"", "Malformed authorization token")]
    public void A_missing_or_malformed_header_gets_its_own_message(string? header, string message)
    {
        AssertError(Service(new FakeTimeProvider()).Verify(header, Client), 401, message);
    }

    private TokenService Service(TimeProvider time, TimeSpan? user = null, TimeSpan? host = null) =>
        new(ring.KeyRing, new TokenOptions(user ?? TimeSpan.FromSeconds(480), host ?? TimeSpan.FromSeconds(480)), time);

    private static string ServerFixtureHeader(string tokenJson) => Infrastructure.ServerFixture.TokenHeader(tokenJson);

    private static void AssertError(TokenOutcome outcome, int status, string message)
    {
        Assert.Null(outcome.Caller);
        Assert.NotNull(outcome.Error);
        Assert.Equal(status, outcome.Error.StatusCode);
        Assert.Equal(message, outcome.Error.Message);
    }
}

/// <summary>A migrated SQLite database with one account, and the server's key ring over it.</summary>
public sealed class KeyRingFixture : IAsyncLifetime, IDisposable
{
    public const string Account = "acct";

    private readonly string _dir = Directory.CreateTempSubdirectory("secrets-keyring-").FullName;
    private ServiceProvider? _services;
    private DataKeyCipher? _cipher;

    internal KeyRing KeyRing { get; private set; } = null!;

    internal ServerSettings Settings { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var env = new Dictionary<string, string>
        {
            ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["SECRETS_ACCOUNT"] = Account,
        };
        Settings = SettingsLoader.Load(k => env.GetValueOrDefault(k), _dir, generateMissingDataKey: false);
        await ServerApp.PrepareStorageAsync(Settings, CancellationToken.None);
        _services = new ServiceCollection().AddSecretsDatabase(Settings.Database).BuildServiceProvider();
        _cipher = new DataKeyCipher(Settings.Encryption.DataKey);

        // The key ring's reload throttle reads a clock: a fake one that never moves keeps it deterministic.
        KeyRing = new KeyRing(_services.GetRequiredService<ISecretsDbFactory>(), _cipher, new FakeTimeProvider());
    }

    /// <summary>The account's signing key as an ECDsa, for forging tokens the server would not issue.</summary>
    public ECDsa AccountKey()
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(KeyRing.SigningKey(Account)!.ExportPkcs8(), out _);
        return key;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        KeyRing.Dispose();
        _cipher?.Dispose();
        _services?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }
}
