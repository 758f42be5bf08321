using System.Net;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Secrets.Authn.Credentials;
using Secrets.Authn.Network;
using Secrets.Server.Accounts;
using Secrets.Server.Authentication;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Data;

/// <summary>
/// Issue 8: a wrong API key must cost the same whether the role exists or not, or the time of a 401 tells an
/// attacker which logins exist. Each benchmark is one request's credential check of <c>authenticate</c>: a fresh
/// pooled context (one per request, as in the server) over a real SQLite file, the row read and the checks.
/// <c>ExistingRoleWrongKey</c> is the baseline; <c>UnknownRole</c> should come out at a ratio of 1.00 within the
/// noise. The two <c>Before…</c> rows run the code as it was before the fix (a tracked read, no work on a dummy
/// row for an unknown role), to show the gap that was closed. The quartile columns show the two distributions.
/// </summary>
[MemoryDiagnoser]
[MinColumn, Q1Column, MedianColumn, Q3Column, MaxColumn]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet calls the [GlobalCleanup] method, which disposes.")]
public class AuthenticateTimingBenchmarks
{
    private const string Account = "bench";
    internal const string Existing = Account + ":user:admin";
    internal const string Unknown = Account + ":user:nobody-by-that-name";
    private const string WrongKey = "3x1ghz2b5b7x7p1sxay8m2g2sxq1g1m0y3w6hr19yd61y4c3tqk6cyd";
    private static readonly IPAddress Client = IPAddress.Parse("10.1.2.3");

    private string _dir = "";
    private ServiceProvider _services = null!;
    private ISecretsDbFactory _factory = null!;
    private DataKeyCipher _cipher = null!;
    private PasswordHasher _passwords = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("secrets-bench-authn-").FullName;
        var target = DatabaseTarget.ForSqliteFile(Path.Combine(_dir, "secrets.db"));
        DatabaseSetup.MigrateAsync(target, CancellationToken.None).GetAwaiter().GetResult();
        _services = new ServiceCollection().AddSecretsDatabase(target).BuildServiceProvider();
        _factory = _services.GetRequiredService<ISecretsDbFactory>();
        _cipher = new DataKeyCipher(RandomNumberGenerator.GetBytes(32));
        _passwords = new PasswordHasher(new Argon2Options());
        using (var db = _factory.Create())
        {
            // What the server's start-up writes first: the authorization version counter every write bumps.
            db.ServerState.Add(new ServerStateEntity { Key = Secrets.Server.Authorization.AuthorizationVersion.Key, Number = 1 });
            db.SaveChanges();
            new AccountService(db, _cipher, _passwords, TimeProvider.System).CreateAsync(Account, null, CancellationToken.None).GetAwaiter().GetResult();
        }

        if (Check(Existing).GetAwaiter().GetResult() || Check(Unknown).GetAwaiter().GetResult())
        {
            throw new InvalidOperationException("benchmark data is wrong: the wrong key matched");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services?.Dispose();
        _cipher?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Benchmark(Baseline = true)]
    public Task<bool> ExistingRoleWrongKey() => Check(Existing);

    [Benchmark]
    public Task<bool> UnknownRole() => Check(Unknown);

    [Benchmark]
    public Task<bool> BeforeExistingRoleWrongKey() => CheckAsBefore(Existing);

    [Benchmark]
    public Task<bool> BeforeUnknownRole() => CheckAsBefore(Unknown);

    internal async Task<bool> Check(string roleId)
    {
        await using var db = _factory.Create();
        var store = new CredentialStore(db, _cipher, _passwords, TimeProvider.System);
        var check = await store.CheckApiKeyAsync(roleId, WrongKey, Client, CancellationToken.None);
        return check.KeyMatches && check.AddressAllowed;
    }

    // What Authenticate did before: a tracked read, and the restriction test only for a row that exists.
    internal async Task<bool> CheckAsBefore(string roleId)
    {
        await using var db = _factory.Create();
        var store = new CredentialStore(db, _cipher, _passwords, TimeProvider.System);
        var cred = await store.FindAsync(roleId, CancellationToken.None);
        var keyOk = store.VerifyApiKey(cred, WrongKey);
        var ipOk = cred is not null && Restrictions.Allows(cred.RestrictedTo, Client);
        return cred is not null && keyOk && ipOk;
    }
}

/// <summary>
/// The same four checks, interleaved: attempt i runs the existing-role and the unknown-role check in a random
/// order, so that load from other processes (this machine is shared) hits both distributions alike, which
/// BenchmarkDotNet's one-method-after-another runs cannot promise. Prints percentiles of each distribution.
/// <c>dotnet run -c Release --project bench/Micro -- authn-timing 2000</c>
/// </summary>
internal static class AuthenticateTimingInterleaved
{
    public static async Task RunAsync(int attempts)
    {
        var bench = new AuthenticateTimingBenchmarks();
        bench.Setup();
        try
        {
            (string Name, Func<Task<bool>> Run)[] cases =
            [
                ("existing role, wrong key", () => bench.Check(AuthenticateTimingBenchmarks.Existing)),
                ("unknown role", () => bench.Check(AuthenticateTimingBenchmarks.Unknown)),
                ("before the fix: existing role, wrong key", () => bench.CheckAsBefore(AuthenticateTimingBenchmarks.Existing)),
                ("before the fix: unknown role", () => bench.CheckAsBefore(AuthenticateTimingBenchmarks.Unknown)),
            ];
            var samples = cases.Select(_ => new List<double>(attempts)).ToArray();
            var random = new Random(8);

            // Warm-up: JIT, the context pool, SQLite's page cache.
            for (var i = 0; i < 200; i++)
            {
                foreach (var c in cases)
                {
                    await c.Run();
                }
            }

            for (var i = 0; i < attempts; i++)
            {
                // Pairs that are compared run back to back, in a random order.
                foreach (var pair in new[] { (0, 1), (2, 3) })
                {
                    var (first, second) = random.Next(2) == 0 ? pair : (pair.Item2, pair.Item1);
                    foreach (var index in new[] { first, second })
                    {
                        var start = System.Diagnostics.Stopwatch.GetTimestamp();
                        await cases[index].Run();
                        samples[index].Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                    }
                }
            }

            Console.WriteLine($"{attempts} interleaved attempts each, microseconds:");
            Console.WriteLine("| check | p10 | p25 | median | p75 | p90 | mean (p5-p95) |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (var i = 0; i < cases.Length; i++)
            {
                var sorted = samples[i].Order().ToArray();
                double P(double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
                var trimmed = sorted[(int)(0.05 * sorted.Length)..(int)(0.95 * sorted.Length)];
                Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"| {cases[i].Name} | {P(0.10):F1} | {P(0.25):F1} | {P(0.50):F1} | {P(0.75):F1} | {P(0.90):F1} | {trimmed.Average():F1} |"));
            }
        }
        finally
        {
            bench.Cleanup();
        }
    }
}
