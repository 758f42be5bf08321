using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Secrets.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Secrets.Server.Tests.Robustness;

/// <summary>
/// A property: whatever arrives, the answer is never a 5xx. Valid requests to every route (a table, plus every route
/// the server maps, with placeholders) are mutated at random (path segments, query, body, Content-Type,
/// Authorization, another header, method) and sent; thousands per store within a time budget. Seeded: the seed is printed, and
/// SECRETS_FUZZ_SEED=&lt;seed&gt; replays the same requests; a failure names the seed and the exact request.
/// </summary>
public abstract class SurvivingRandomRequests(ServerFixture f, ITestOutputHelper output)
{
    private const int Cases = 2500;
    private const int Workers = 4;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(40);

    // Far fewer than the budget buys on an idle machine (thousands); only a hang or a stall could stay under it.
    private const int AtLeast = 250;

    private static readonly string[] ContentTypes =
    [
        "application/x-yaml", "application/json", "application/x-www-form-urlencoded", "text/plain",
        "application/octet-stream", "multipart/form-data; boundary=x", "application/json; charset=latin1", "", ";;;",
    ];

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    private static readonly string[] Words =
    [
        "cucumber", "variable", "user", "host", "group", "layer", "policy", "webservice", "host_factory", "root", "admin",
        "%2F", "%00", "%FF", "%C3%28", "%ED%A0%80", "..", ".", "", "%25", "+", "%20", "a:b:c", "\u00e9", "*", "~", "%2e%2e",
        "members", "memberships", "graph", "all", "check", "privilege", "execute", "read", "update", "version", "count",
        "limit", "offset", "search", "kind", "role", "member", "dryRun", "depth", "variable_ids", "id", "annotations[x]",
        "cidr[]", "expiration", "host_factory", "-1", "0", "99999999999999999999", "true", "null", "[]", "{}",
    ];

    // Header values must be ASCII for HttpClient to send them at all.
    private static readonly string[] AsciiWords = [.. Words.Where(w => w.All(char.IsAscii))];

    [Fact]
    public async Task No_request_is_answered_with_a_5xx()
    {
        var seed = int.TryParse(System.Environment.GetEnvironmentVariable("SECRETS_FUZZ_SEED"), CultureInfo.InvariantCulture, out var given)
            ? given
            : Random.Shared.Next();
        output.WriteLine($"SECRETS_FUZZ_SEED={seed}");

        var w = await RobustnessWorld.CreateAsync(f);
        var templates = Templates(w, await w.NewHostFactoryTokenAsync());
        var clock = Stopwatch.StartNew();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var sent = 0;

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(async worker =>
        {
            var random = new Random(seed + worker);
            using var client = f.NewClient();
            for (var i = worker; i < Cases && clock.Elapsed < Budget && failures.IsEmpty; i += Workers)
            {
                var request = Mutate(random, Pick(random, templates), w);
                using var message = request.ToMessage(f.BaseAddress);
                int status;
                try
                {
                    using var response = await client.SendAsync(message);
                    status = (int)response.StatusCode;
                    await response.Content.ReadAsByteArrayAsync();
                }
                catch (HttpRequestException e)
                {
                    failures.Add($"seed {seed}, worker {worker}, case {i}: no answer ({e.Message}) to {request}");
                    continue;
                }

                Interlocked.Increment(ref sent);
                if (status >= 500)
                {
                    failures.Add($"seed {seed}, worker {worker}, case {i}: {status} to {request}");
                }
            }
        }));

        output.WriteLine($"{sent} requests in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.True(sent >= AtLeast, $"only {sent} requests in the budget (seed {seed})");
    }

    /// <summary>
    /// A template at random; a costly one (a password change hashes with Argon2id; a policy load rebuilds the role
    /// graph for the next request) is taken only a fifth as often, so the budget buys thousands of cases.
    /// </summary>
    private static Template Pick(Random r, List<Template> templates)
    {
        var t = templates[r.Next(templates.Count)];
        return t.Costly && r.Next(5) != 0 ? templates[r.Next(templates.Count)] : t;
    }

    /// <summary>Requests that reach each handler as a client would send them.</summary>
    private List<Template> Templates(RobustnessWorld w, string hostFactoryToken)
    {
        const string A = RobustnessWorld.Account;
        var admin = w.AdminAuthorization;
        // Alice never gets a password here, so her Basic logins verify the API key only (no Argon2id).
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{w.Alice}:{w.AliceKey}"));
        var variable = Uri.EscapeDataString(w.Variable);
        var group = Uri.EscapeDataString(w.Group);
        var expiration = f.Time.GetUtcNow().AddHours(1).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var yaml = "- !variable fuzzed\n- !user\n  id: fuzz-user\n  annotations:\n    a: b\n";
        List<Template> list =
        [
            new("GET", "/", "", null, null, null),
            new("GET", "/health", "", null, null, null),
            new("GET", "/secrets", $"variable_ids={Uri.EscapeDataString(w.VariableId)}", null, null, admin),
            new("GET", $"/secrets/{A}/variable/{variable}", "version=1", null, null, admin),
            new("POST", $"/secrets/{A}/variable/{variable}", "", "value"u8.ToArray(), "text/plain", admin),
            new("GET", $"/resources/{A}/variable/{variable}", "check=true&privilege=execute", null, null, admin),
            new("GET", "/resources", "kind=variable&search=db&limit=10&offset=0", null, null, admin),
            new("GET", $"/resources/{A}", "count=true&role=" + Uri.EscapeDataString($"{A}:user:{w.Alice}"), null, null, admin),
            new("GET", $"/roles/{A}/group/{group}", "members=true&limit=5", null, null, admin),
            new("GET", $"/roles/{A}/user/{w.Alice}", "memberships&recursive=true", null, null, admin),
            new("GET", $"/roles/{A}/group/{group}", "graph", null, null, admin),
            new("POST", $"/roles/{A}/group/{group}", $"members&member={A}:user:{w.Rotated}", null, null, admin),
            new("DELETE", $"/roles/{A}/group/{group}", $"members&member={A}:user:{w.Rotated}", null, null, admin),
            new("GET", $"/policies/{A}/policy/{Uri.EscapeDataString(w.StaticPolicy)}", "depth=2&limit=10", null, null, admin),
            new("POST", $"/policies/{A}/policy/{Uri.EscapeDataString(w.LoadsPolicy)}", "dryRun=true", Encoding.UTF8.GetBytes(yaml), "application/x-yaml", admin) { Costly = true },
            new("PATCH", $"/policies/{A}/policy/{Uri.EscapeDataString(w.LoadsPolicy)}", "", Encoding.UTF8.GetBytes(yaml), "application/x-yaml", admin) { Costly = true },
            new("PUT", $"/policies/{A}/policy/{Uri.EscapeDataString(w.LoadsPolicy)}", "", Encoding.UTF8.GetBytes(yaml), "application/x-yaml", admin) { Costly = true },
            new("GET", $"/public_keys/{A}/user/{w.Alice}", "", null, null, null),
            new("GET", $"/authn/{A}/login", "", null, null, basic),
            new("POST", $"/authn/{A}/{w.Alice}/authenticate", "", Encoding.UTF8.GetBytes(w.AliceKey), "text/plain", null),
            new("PUT", $"/authn/{A}/password", "", "Str0ng-Passw0rd-Here!"u8.ToArray(), "text/plain", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{w.PasswordUser}:{w.Keys[$"{A}:user:{w.PasswordUser}"]}"))) { Costly = true },
            new("PUT", $"/authn/{A}/api_key", $"role=user:{w.Rotated}", null, null, admin),
            new("GET", "/whoami", "", null, null, admin),
            new("POST", "/host_factory_tokens", "", Encoding.UTF8.GetBytes($"host_factory={Uri.EscapeDataString($"{A}:host_factory:{w.Factory}")}&expiration={expiration}&count=2&cidr[]=10.0.0.0/8"), "application/x-www-form-urlencoded", admin),
            new("DELETE", "/host_factory_tokens/nope", "", null, null, admin),
            new("POST", "/host_factories/hosts", "", Encoding.UTF8.GetBytes("id=fuzzed-host&annotations[a]=b"), "application/x-www-form-urlencoded", $"Token token=\"{hostFactoryToken}\""),
            new("POST", "/host_factories/hosts", "", Encoding.UTF8.GetBytes("{\"id\":\"fuzzed-json\",\"annotations\":{\"a\":\"b\"}}"), "application/json", $"Token token=\"{hostFactoryToken}\""),
        ];

        // Every mapped route, so one added later is fuzzed too.
        foreach (var e in f.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = System.Text.RegularExpressions.Regex.Replace(
                (e.RoutePattern.RawText ?? "/").Replace("{account}", A, StringComparison.Ordinal).Replace("{**identifier}", variable, StringComparison.Ordinal),
                "\\{[^}]*\\}",
                "variable");
            foreach (var method in e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                list.Add(new(method, path.StartsWith('/') ? path : "/" + path, "", null, null, admin));
            }
        }

        return list;
    }

    private static Template Mutate(Random r, Template t, RobustnessWorld w)
    {
        for (var n = r.Next(1, 4); n > 0; n--)
        {
            t = r.Next(11) switch
            {
                10 => t with { Header = RandomHeader(r) },
                0 => t with { Path = MutateSegments(r, t.Path) },
                1 => t with { Path = t.Path + "/" + RandomSegment(r) },
                2 => t with { Query = t.Query.Length == 0 ? RandomPair(r) : t.Query + "&" + RandomPair(r) },
                3 => t with { Query = MutateText(r, t.Query) },
                4 => t with { Body = RandomBytes(r, r.Next(0, 600)), ContentType = ContentTypes[r.Next(ContentTypes.Length)] },
                5 => t with { Body = MutateBytes(r, t.Body ?? []) },
                6 => t with { ContentType = ContentTypes[r.Next(ContentTypes.Length)] },
                7 => t with { Authorization = RandomAuthorization(r, w) },
                8 => t with { Method = Methods[r.Next(Methods.Length)] },
                _ => t with { Body = Encoding.UTF8.GetBytes(RandomStructured(r)), ContentType = ContentTypes[r.Next(3)] },
            };
        }

        return t;
    }

    private static string MutateSegments(Random r, string path)
    {
        var segments = path.Split('/').ToList();
        var i = r.Next(1, Math.Max(2, segments.Count));
        if (i >= segments.Count)
        {
            segments.Add(RandomSegment(r));
        }
        else if (r.Next(3) == 0)
        {
            segments.RemoveAt(i);
        }
        else
        {
            segments[i] = r.Next(2) == 0 ? RandomSegment(r) : segments[i] + RandomSegment(r);
        }

        var joined = string.Join('/', segments);
        return joined.StartsWith('/') ? joined : "/" + joined;
    }

    /// <summary>A path segment: dictionary words and percent-encoded random bytes (any byte, NUL and non-UTF-8 included).</summary>
    private static string RandomSegment(Random r) => r.Next(3) switch
    {
        0 => Words[r.Next(Words.Length)],
        1 => Encode(RandomBytes(r, r.Next(1, 12))),
        _ => string.Concat(Enumerable.Range(0, r.Next(1, 4)).Select(_ => Words[r.Next(Words.Length)])),
    };

    private static string RandomPair(Random r) => $"{RandomSegment(r)}={RandomSegment(r)}";

    private static string MutateText(Random r, string text)
    {
        if (text.Length == 0)
        {
            return RandomPair(r);
        }

        var i = r.Next(text.Length);
        return r.Next(3) switch
        {
            0 => text[..i] + RandomSegment(r) + text[i..],
            1 => text[..i] + text[Math.Min(text.Length, i + r.Next(1, 8))..],
            _ => text[..i] + "%" + text[i..],
        };
    }

    private static byte[] MutateBytes(Random r, byte[] body)
    {
        var list = body.ToList();
        for (var n = r.Next(1, 6); n > 0; n--)
        {
            var i = list.Count == 0 ? 0 : r.Next(list.Count);
            switch (r.Next(4))
            {
                case 0 when list.Count > 0:
                    list[i] = (byte)r.Next(256);
                    break;
                case 1 when list.Count > 0:
                    list.RemoveAt(i);
                    break;
                case 2:
                    list.InsertRange(i, Encoding.UTF8.GetBytes(Words[r.Next(Words.Length)]));
                    break;
                default:
                    list.Insert(i, (byte)r.Next(256));
                    break;
            }
        }

        return [.. list];
    }

    /// <summary>YAML, JSON or form text built from the dictionary, with odd escapes.</summary>
    private static string RandomStructured(Random r) => r.Next(4) switch
    {
        0 => $"- !{Words[r.Next(Words.Length)]} {Words[r.Next(Words.Length)]}\n- !grant\n  role: !group {Words[r.Next(Words.Length)]}\n  member: !user {RandomSegment(r)}\n",
        1 => $"{{\"{Words[r.Next(Words.Length)]}\":\"{Words[r.Next(Words.Length)]}\\u0000\",\"annotations\":{{\"x\":[1,{{}}]}},\"id\":{Words[r.Next(Words.Length)]}}}",
        2 => string.Join('&', Enumerable.Range(0, r.Next(1, 5)).Select(_ => RandomPair(r))),
        _ => $"- !policy\n  id: {RandomSegment(r)}\n  body:\n  - !variable\n    id: {RandomSegment(r)}\n    annotations: {{ {RandomSegment(r)}: {RandomSegment(r)} }}\n",
    };

    /// <summary>A header handlers read besides Authorization: client address, media types, request id.</summary>
    private static (string Name, string Value) RandomHeader(Random r)
    {
        string[] names = ["X-Forwarded-For", "Accept", "Accept-Encoding", "X-Request-Id", "Content-Encoding"];
        string[] values = ["base64", "application/json", "text/html", "*/*", "10.0.0.1, 127.0.0.1", "::1", "300.1.1.1", "unknown", "gzip", ""];
        var value = r.Next(2) == 0 ? values[r.Next(values.Length)] : AsciiWords[r.Next(AsciiWords.Length)] + "," + AsciiWords[r.Next(AsciiWords.Length)];
        return (names[r.Next(names.Length)], value);
    }

    private static string? RandomAuthorization(Random r, RobustnessWorld w)
    {
        static string B64(byte[] b) => Convert.ToBase64String(b);
        return r.Next(8) switch
        {
            0 => null,
            1 => $"Token token=\"{B64(RandomBytes(r, r.Next(0, 200)))}\"",
            2 => $"Token token=\"{B64(Encoding.UTF8.GetBytes($"{{\"protected\":\"{Words[r.Next(Words.Length)]}\",\"payload\":\"{RandomSegment(r)}\",\"signature\":\"{RandomSegment(r)}\"}}"))}\"",
            3 => $"Token token=\"{B64([.. "{\"protected\":\""u8, .. RandomBytes(r, 4), .. "\",\"payload\":\"a\",\"signature\":\"b\"}"u8])}\"",
            4 => "Basic " + B64(RandomBytes(r, r.Next(0, 40))),
            5 => "Basic " + B64(Encoding.UTF8.GetBytes($"{RandomSegment(r)}:{RandomSegment(r)}")),
            6 => AsciiWords[r.Next(AsciiWords.Length)] + " " + Encode(RandomBytes(r, 8)),
            _ => w.AdminAuthorization,
        };
    }

    private static byte[] RandomBytes(Random r, int length)
    {
        var bytes = new byte[length];
        r.NextBytes(bytes);
        return bytes;
    }

    private static string Encode(byte[] bytes) => string.Concat(bytes.Select(b => b is >= (byte)'a' and <= (byte)'z' ? ((char)b).ToString() : $"%{b:X2}"));

    /// <summary>A request as data, so a failure can print exactly what was sent.</summary>
    private sealed record Template(string Method, string Path, string Query, byte[]? Body, string? ContentType, string? Authorization)
    {
        public bool Costly { get; init; }

        public (string Name, string Value)? Header { get; init; }

        public HttpRequestMessage ToMessage(Uri server)
        {
            // Absolute, so a path that starts with "//" stays a path on this server.
            var target = new Uri(server.GetLeftPart(UriPartial.Authority) + (Query.Length == 0 ? Path : $"{Path}?{Query}"), UriKind.Absolute);
            var message = new HttpRequestMessage(new HttpMethod(Method), target);
            if (Body is not null && Method is not "GET" and not "HEAD")
            {
                message.Content = new ByteArrayContent(Body);
                if (ContentType is { Length: > 0 })
                {
                    message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
                }
            }

            if (Authorization is not null)
            {
                message.Headers.TryAddWithoutValidation("Authorization", Authorization);
            }

            if (Header is { } header && !message.Headers.TryAddWithoutValidation(header.Name, header.Value))
            {
                message.Content?.Headers.TryAddWithoutValidation(header.Name, header.Value);
            }

            return message;
        }

        public override string ToString() =>
            $"{Method} {Path}{(Query.Length == 0 ? "" : "?" + Query)} Content-Type: {ContentType ?? "-"} Authorization: {(Authorization is null ? "-" : Authorization[..Math.Min(Authorization.Length, 120)])} {Header?.Name ?? "-"}: {Header?.Value ?? "-"} Body (base64): {(Body is null ? "-" : Convert.ToBase64String(Body))}";
    }
}

public sealed class SurvivingRandomRequestsOnSqlite(SqliteServer f, ITestOutputHelper output) : SurvivingRandomRequests(f, output), IClassFixture<SqliteServer>;

public sealed class SurvivingRandomRequestsOnPostgres(PostgresServerFixture f, ITestOutputHelper output) : SurvivingRandomRequests(f, output), IClassFixture<PostgresServerFixture>;
