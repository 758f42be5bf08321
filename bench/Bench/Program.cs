using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using Secrets.Bench;

// The benchmark of docs/performance.md. It starts the real server executable on a free loopback port over a fresh
// database (SQLite in a temp dir, or a new PostgreSQL database on the server named by SECRETS_BENCH_POSTGRES), loads
// the generated policy, then runs bounded HTTP loads against it. Every figure is printed next to a baseline measured
// in the same run. Usage: dotnet run -c Release --project bench/Bench -- --store sqlite|postgres [--duration 10] [--workers 16]
// [--audit none|file] (file: every record is written to a file in the data directory, as users run it).
var store = Arg("--store", "sqlite");
var audit = Arg("--audit", "none");
var duration = TimeSpan.FromSeconds(double.Parse(Arg("--duration", "10"), CultureInfo.InvariantCulture));
var workers = int.Parse(Arg("--workers", "16"), CultureInfo.InvariantCulture);
const string Account = "bench";

var dataDir = Directory.CreateTempSubdirectory("secrets-bench-").FullName;
var env = new Dictionary<string, string>
{
    ["SECRETS_DATA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
    ["SECRETS_ACCOUNT"] = Account,
    // Never stdout: 60,000 per-row policy audit records there would measure the terminal, not the server.
    ["SECRETS_AUDIT"] = audit switch
    {
        "none" => "none",
        "file" => Path.Combine(dataDir, "audit.log"),
        _ => throw new ArgumentException("--audit is none or file"),
    },
    ["Logging__LogLevel__Default"] = "Warning",
};
if (store == "postgres")
{
    var admin = Environment.GetEnvironmentVariable("SECRETS_BENCH_POSTGRES")
        ?? throw new InvalidOperationException("--store postgres needs SECRETS_BENCH_POSTGRES (a connection string allowed to CREATE DATABASE); bench/run.sh sets one up");
    var name = "bench_" + Guid.NewGuid().ToString("N")[..12];
    await using (var conn = new NpgsqlConnection(admin))
    {
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    env["SECRETS_DATABASE"] = new NpgsqlConnectionStringBuilder(admin) { Database = name, MaxPoolSize = 64 }.ConnectionString;
}

var port = FreePort();
var baseUrl = $"http://127.0.0.1:{port}";
var serverDll = Path.Combine(AppContext.BaseDirectory, "Secrets.Server.dll");
var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
foreach (var a in new[] { serverDll, "serve", "--urls", baseUrl, "--data-dir", dataDir })
{
    psi.ArgumentList.Add(a);
}

foreach (var (k, v) in env)
{
    psi.Environment[k] = v;
}

using var server = Process.Start(psi)!;
// SECRETS_BENCH_SERVER_LOG=1 echoes the server's log (e.g. with Logging__LogLevel__Secrets.Server.Policies=Debug for load phases).
var echoServer = Environment.GetEnvironmentVariable("SECRETS_BENCH_SERVER_LOG") == "1";
server.OutputDataReceived += (_, e) => { if (echoServer && e.Data is { Length: > 0 } line) { Console.Error.WriteLine("server: " + line); } };
server.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line && (echoServer || line.Contains("fail", StringComparison.OrdinalIgnoreCase))) { Console.Error.WriteLine("server: " + line); } };
Console.Error.WriteLine($"server pid {server.Id} ({baseUrl})");
server.BeginOutputReadLine();
server.BeginErrorReadLine();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(5) };
try
{
    await WaitUntilUp(http);
    var adminKey = (await File.ReadAllTextAsync(Path.Combine(dataDir, $"{Account}-admin-api-key"))).Trim();
    var adminToken = await Authenticate(http, "admin", adminKey);

    Console.WriteLine($"# Benchmark on {store}, audit {audit} ({Environment.ProcessorCount} cores), {DateTime.UtcNow:yyyy-MM-dd}");
    Console.WriteLine();
    Console.WriteLine("## Policy loads (10,000 hosts, 10,000 variables, 500 layers + 500 groups + 1 batch layer, 20,600 grants/permits)");
    Console.WriteLine();
    Console.WriteLine("| load | seconds | target |");
    Console.WriteLine("| --- | ---: | ---: |");
    var basePolicy = PolicyGenerator.Generate();
    var (postSeconds, postBody) = await TimePolicy(http, adminToken, HttpMethod.Post, basePolicy);
    Console.WriteLine($"| POST (initial load, {basePolicy.Length / 1024} KiB) | {postSeconds:F2} | ≤ 5 |");
    var (patchSeconds, _) = await TimePolicy(http, adminToken, HttpMethod.Patch, basePolicy);
    Console.WriteLine($"| PATCH unchanged | {patchSeconds:F2} | ≤ 1 |");

    // The same rows from a text the server has not parsed before (a comment added): the cost without the parse cache.
    var (patchNewTextSeconds, _) = await TimePolicy(http, adminToken, HttpMethod.Patch, basePolicy + "\n# the same policy, re-sent with a comment\n");
    Console.WriteLine($"| PATCH unchanged rows, text not seen before | {patchNewTextSeconds:F2} | — |");
    var changedPolicy = PolicyGenerator.Generate(changedPercent: 1);
    var (putSeconds, _) = await TimePolicy(http, adminToken, HttpMethod.Put, changedPolicy);
    Console.WriteLine($"| PUT with 1% changed | {putSeconds:F2} | ≤ 2 |");
    Console.WriteLine();

    // Values for the variables the load uses; host h (200 ≤ h < 220) may execute var-h through layer h % 500.
    var apiKeys = JsonDocument.Parse(postBody).RootElement.GetProperty("created_roles");
    var hostTokens = new List<(string Header, string Path)>();
    for (var h = 200; h < 220; h++)
    {
        await SetSecret(http, adminToken, $"bench/var-{h}", $"value-of-var-{h}");
        var key = apiKeys.GetProperty($"{Account}:host:bench/host-{h}").GetProperty("api_key").GetString()!;
        hostTokens.Add((TokenHeader(await Authenticate(http, $"host/bench/host-{h}", key)), $"/secrets/{Account}/variable/bench%2Fvar-{h}"));
    }

    var batchIds = new List<string>();
    for (var v = 100; v < 200; v++)
    {
        await SetSecret(http, adminToken, $"bench/var-{v}", $"value-of-var-{v}");
        batchIds.Add($"{Account}:variable:bench/var-{v}");
    }

    var batchKey = apiKeys.GetProperty($"{Account}:host:bench/batch-host").GetProperty("api_key").GetString()!;
    var batchToken = TokenHeader(await Authenticate(http, "host/bench/batch-host", batchKey));
    var batchPath = "/secrets?variable_ids=" + Uri.EscapeDataString(string.Join(',', batchIds));

    // Workload authenticators with warm keys (public-keys: no fetch on the request path), issue 11's rates.
    var hostKey = apiKeys.GetProperty($"{Account}:host:bench/host-200").GetProperty("api_key").GetString()!;
    var workload = await Workloads.SetUpAsync(http, adminToken, Account);

    // Two rounds of the loads; only the second is reported. The first warms the JIT (tiered compilation), the
    // connection pools and the caches, and lets the collector settle after the large policy loads, so that no scenario
    // is measured colder than the others (the trivial endpoint ran first and came out slower than the fetches).
    LoadResult trivial = null!, whoami = null!, single = null!, batch = null!, apiKeyAuthn = null!, jwtRs = null!, jwtEs = null!, k8s = null!;
    foreach (var round in new[] { TimeSpan.FromSeconds(Math.Min(2, duration.TotalSeconds)), duration })
    {
        trivial = await LoadDriver.RunAsync("GET / (trivial, JSON version)", http, _ =>
        {
            var r = new HttpRequestMessage(HttpMethod.Get, "/");
            r.Headers.Accept.ParseAdd("application/json");
            return r;
        }, workers, round);
        whoami = await LoadDriver.RunAsync("GET /whoami (token check only)", http, i =>
        {
            var r = new HttpRequestMessage(HttpMethod.Get, "/whoami");
            r.Headers.TryAddWithoutValidation("Authorization", hostTokens[i % hostTokens.Count].Header);
            return r;
        }, workers, round);
        single = await LoadDriver.RunAsync("GET /secrets (one variable, execute via a layer)", http, i =>
        {
            var (header, path) = hostTokens[i % hostTokens.Count];
            var r = new HttpRequestMessage(HttpMethod.Get, path);
            r.Headers.TryAddWithoutValidation("Authorization", header);
            return r;
        }, workers, round);
        batch = await LoadDriver.RunAsync("GET /secrets?variable_ids= (100 variables)", http, _ =>
        {
            var r = new HttpRequestMessage(HttpMethod.Get, batchPath);
            r.Headers.TryAddWithoutValidation("Authorization", batchToken);
            return r;
        }, workers, round);
        apiKeyAuthn = await LoadDriver.RunAsync("POST /authn/…/authenticate (API key)", http, _ =>
            new HttpRequestMessage(HttpMethod.Post, $"/authn/{Account}/host%2Fbench%2Fhost-200/authenticate") { Content = new StringContent(hostKey) }, workers, round);
        jwtRs = await LoadDriver.RunAsync("POST /authn-jwt/…/authenticate (RS256, warm keys)", http, _ => workload.JwtRequest(rsa: true), workers, round);
        jwtEs = await LoadDriver.RunAsync("POST /authn-jwt/…/authenticate (ES256, warm keys)", http, _ => workload.JwtRequest(rsa: false), workers, round);
        k8s = await LoadDriver.RunAsync("POST /authn-k8s/…/authenticate (jwks mode, RS256)", http, _ => workload.KubernetesRequest(), workers, round);
    }

    Console.WriteLine($"## HTTP load ({workers} concurrent clients on loopback, {duration.TotalSeconds:F0} s each, client and server share the 2 cores)");
    Console.WriteLine();
    Console.WriteLine("| scenario | requests/s | p50 ms | p99 ms | errors | ratio to trivial |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
    foreach (var r in new[] { trivial, whoami, single, batch, apiKeyAuthn, jwtRs, jwtEs, k8s })
    {
        Console.WriteLine($"| {r.Name} | {r.RequestsPerSecond:F0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.Errors}{(r.Errors > 0 ? " (" + r.ErrorStatuses + ")" : "")} | {r.RequestsPerSecond / trivial.RequestsPerSecond:F2} |");
    }

    Console.WriteLine();
    Console.WriteLine($"Server peak RSS (VmHWM): {PeakRssMiB(server.Id):F0} MiB");
    return new[] { trivial, whoami, single, batch, apiKeyAuthn, jwtRs, jwtEs, k8s }.Sum(r => r.Errors) == 0 ? 0 : 1;
}
finally
{
    if (!server.HasExited)
    {
        server.Kill(entireProcessTree: true);
    }

    await server.WaitForExitAsync();
    try
    {
        Directory.Delete(dataDir, true);
    }
    catch (IOException)
    {
    }
}

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

static async Task WaitUntilUp(HttpClient http)
{
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while (true)
    {
        try
        {
            using var r = await http.GetAsync("/");
            if (r.IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException) when (DateTime.UtcNow < deadline)
        {
        }

        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException("the server did not start");
        }

        await Task.Delay(200);
    }
}

static string TokenHeader(string tokenJson) => $"Token token=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(tokenJson))}\"";

static async Task<string> Authenticate(HttpClient http, string login, string apiKey)
{
    using var r = await http.PostAsync($"/authn/bench/{Uri.EscapeDataString(login)}/authenticate", new StringContent(apiKey));
    r.EnsureSuccessStatusCode();
    return await r.Content.ReadAsStringAsync();
}

static async Task SetSecret(HttpClient http, string token, string id, string value)
{
    using var req = new HttpRequestMessage(HttpMethod.Post, $"/secrets/bench/variable/{Uri.EscapeDataString(id)}") { Content = new StringContent(value) };
    req.Headers.TryAddWithoutValidation("Authorization", TokenHeader(token));
    using var r = await http.SendAsync(req);
    r.EnsureSuccessStatusCode();
}

static async Task<(double Seconds, string Body)> TimePolicy(HttpClient http, string token, HttpMethod method, string policy)
{
    using var req = new HttpRequestMessage(method, "/policies/bench/policy/root") { Content = new StringContent(policy, Encoding.UTF8, "application/x-yaml") };
    req.Headers.TryAddWithoutValidation("Authorization", TokenHeader(token));
    var sw = Stopwatch.StartNew();
    using var r = await http.SendAsync(req);
    var body = await r.Content.ReadAsStringAsync();
    sw.Stop();
    if (!r.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{method} policy failed: {(int)r.StatusCode} {body}");
    }

    return (sw.Elapsed.TotalSeconds, body);
}

static double PeakRssMiB(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
        {
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
    }

    return 0;
}
