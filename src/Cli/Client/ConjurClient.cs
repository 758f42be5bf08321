using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Secrets.Cli.Client;

/// <summary>
/// Typed client of the Conjur v1 REST API (spec §2), shared by every CLI command and usable by other programs.
/// It authenticates lazily, caches the access token (in memory and, when a store is given, across processes),
/// refreshes it at 85 % of its lifetime, and replays a request once with a new token when the server answers 401
/// to a cached one. Failures surface as <see cref="ConjurApiException"/> (server said no) or
/// <see cref="ConjurCredentialsException"/> (no usable local credentials).
/// </summary>
public sealed class ConjurClient : IDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
    };

    private readonly HttpClient http;
    private readonly string baseUrl;
    private readonly TimeProvider time;
    private readonly IAccessTokenStore? store;
    private readonly SemaphoreSlim tokenGate = new(1, 1);
    private AccessToken? token;

    /// <summary>Creates a client.</summary>
    /// <param name="options">Appliance, account, credentials.</param>
    /// <param name="handler">An HTTP handler to use instead of the default one (not disposed by the client).</param>
    public ConjurClient(ConjurClientOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Account);
        Account = options.Account;
        ApplianceUrl = options.ApplianceUrl;
        Credentials = options.Credentials;
        baseUrl = options.ApplianceUrl.OriginalString.TrimEnd('/');
        time = options.TimeProvider;
        store = options.TokenStore;
        var ownsHandler = handler is null;
        http = new HttpClient(handler ?? ServerCertificateTrust.CreateHandler(options.TrustedCertificates), ownsHandler)
        {
            Timeout = options.Timeout,
        };
        http.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
    }

    /// <summary>The account every relative id belongs to.</summary>
    public string Account { get; }

    /// <summary>The appliance URL.</summary>
    public Uri ApplianceUrl { get; }

    /// <summary>The credentials, if any.</summary>
    public ConjurCredentials? Credentials { get; }

    private string TokenCacheKey => $"{baseUrl}\n{Account}\n{Credentials?.CacheKey}";

    /// <inheritdoc />
    public void Dispose()
    {
        http.Dispose();
        tokenGate.Dispose();
    }

    // ---------------------------------------------------------------- authentication (spec §2.1, §2.2)

    /// <summary>
    /// <c>GET /{authenticator}/{account}/login</c> with Basic auth: exchanges a password (or API key) for the API key.
    /// </summary>
    public async Task<string> LoginAsync(string login, string password, string authenticator = "authn", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(login);
        ArgumentNullException.ThrowIfNull(password);
        using var response = await SendAsync(
            () => WithBasic(new HttpRequestMessage(HttpMethod.Get, Url($"/{AuthenticatorPath(authenticator)}/{Segment(Account)}/login")), login, password),
            authenticate: false,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>Obtains a new access token from the credentials (ignoring any cached one) and caches it.</summary>
    public async Task<AccessToken> AuthenticateAsync(CancellationToken cancellationToken = default)
    {
        await tokenGate.WaitAsync(cancellationToken);
        try
        {
            return await RenewTokenAsync(cancellationToken);
        }
        finally
        {
            tokenGate.Release();
        }
    }

    /// <summary>The current access token: from memory, from the store, or newly obtained when stale.</summary>
    public async Task<AccessToken> GetAccessTokenAsync(CancellationToken cancellationToken = default) =>
        (await AcquireTokenAsync(forceNew: false, cancellationToken)).Token;

    /// <summary>Forgets the cached token (memory and store).</summary>
    public void InvalidateToken()
    {
        token = null;
        if (Credentials is not null)
        {
            store?.Clear(TokenCacheKey);
        }
    }

    /// <summary><c>GET /whoami</c>.</summary>
    public async Task<WhoAmI> WhoAmIAsync(CancellationToken cancellationToken = default)
    {
        var raw = await GetJsonAsync("/whoami", cancellationToken);
        return Typed<WhoAmI>(raw) with { Raw = raw };
    }

    /// <summary>
    /// <c>PUT /authn/{account}/api_key</c> with Basic auth: rotates the caller's own API key (the token is not accepted
    /// for this, spec §2.1). Returns the new key.
    /// </summary>
    public async Task<string> RotateOwnApiKeyAsync(string login, string passwordOrApiKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(login);
        ArgumentException.ThrowIfNullOrEmpty(passwordOrApiKey);
        using var response = await SendAsync(
            () => WithBasic(new HttpRequestMessage(HttpMethod.Put, Url($"/authn/{Segment(Account)}/api_key")), login, passwordOrApiKey),
            authenticate: false,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary><c>PUT /authn/{account}/api_key?role=kind:id</c> with the access token: rotates another role's API key.</summary>
    public async Task<string> RotateApiKeyAsync(ResourceId role, CancellationToken cancellationToken = default)
    {
        var roleParameter = role.Account == Account ? $"{role.Kind}:{role.Identifier}" : role.ToString();
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Put, Url($"/authn/{Segment(Account)}/api_key{Query(("role", roleParameter))}")),
            authenticate: true,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary><c>PUT /authn/{account}/password</c> with Basic auth (current password or API key); body = the new password.</summary>
    public async Task ChangePasswordAsync(string login, string passwordOrApiKey, string newPassword, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(login);
        ArgumentException.ThrowIfNullOrEmpty(passwordOrApiKey);
        ArgumentNullException.ThrowIfNull(newPassword);
        using var response = await SendAsync(
            () =>
            {
                var request = WithBasic(new HttpRequestMessage(HttpMethod.Put, Url($"/authn/{Segment(Account)}/password")), login, passwordOrApiKey);
                request.Content = new StringContent(newPassword, new UTF8Encoding(false), "text/plain");
                return request;
            },
            authenticate: false,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    // ---------------------------------------------------------------- policies (spec §2.5)

    /// <summary>Loads a policy into <paramref name="branch"/>; reports bytes uploaded to <paramref name="progress"/>.</summary>
    public async Task<PolicyLoadResult> LoadPolicyAsync(PolicyLoadMode mode, string branch, Stream policy, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var raw = await SendPolicyAsync(mode, branch, policy, dryRun: false, progress, cancellationToken);
        return Typed<PolicyLoadResult>(raw) with { Raw = raw };
    }

    /// <summary>Validates and simulates a policy load (<c>?dryRun=true</c>); nothing is stored.</summary>
    public async Task<PolicyDryRunResult> DryRunPolicyAsync(PolicyLoadMode mode, string branch, Stream policy, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var raw = await SendPolicyAsync(mode, branch, policy, dryRun: true, progress, cancellationToken);
        return Typed<PolicyDryRunResult>(raw) with { Raw = raw };
    }

    private async Task<JsonElement> SendPolicyAsync(PolicyLoadMode mode, string branch, Stream policy, bool dryRun, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(branch);
        ArgumentNullException.ThrowIfNull(policy);
        var method = mode switch
        {
            PolicyLoadMode.Load => HttpMethod.Post,
            PolicyLoadMode.Update => HttpMethod.Patch,
            PolicyLoadMode.Replace => HttpMethod.Put,
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };

        // The body must be replayable (a request may be sent again after a token refresh): buffer what cannot seek.
        MemoryStream? buffered = null;
        var body = policy;
        if (!policy.CanSeek)
        {
            buffered = new MemoryStream();
            await policy.CopyToAsync(buffered, cancellationToken);
            buffered.Position = 0;
            body = buffered;
        }

        try
        {
            var start = body.Position;
            var path = $"/policies/{Segment(Account)}/policy/{Segment(branch)}" + (dryRun ? "?dryRun=true" : "");
            using var response = await SendAsync(
                () => new HttpRequestMessage(method, Url(path))
                {
                    Content = new ProgressStreamContent(body, start, progress) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-yaml") } },
                },
                authenticate: true,
                cancellationToken);
            await EnsureSuccessAsync(response, cancellationToken);
            return await ReadJsonAsync(response, cancellationToken);
        }
        finally
        {
            if (buffered is not null)
            {
                await buffered.DisposeAsync();
            }
        }
    }

    // ---------------------------------------------------------------- secrets (spec §2.4)

    /// <summary>The value of a variable of the client's account, as raw bytes (binary safe).</summary>
    public Task<byte[]> GetSecretAsync(string identifier, int? version = null, CancellationToken cancellationToken = default) =>
        GetSecretAsync(new ResourceId(Account, "variable", identifier), version, cancellationToken);

    /// <summary><c>GET /secrets/{account}/variable/{identifier}[?version=N]</c>: the raw bytes.</summary>
    public async Task<byte[]> GetSecretAsync(ResourceId variable, int? version = null, CancellationToken cancellationToken = default)
    {
        var query = version is { } v ? Query(("version", v.ToString(CultureInfo.InvariantCulture))) : "";
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, Url($"/secrets/{Segment(variable.Account)}/{Segment(variable.Kind)}/{Segment(variable.Identifier)}{query}")),
            authenticate: true,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    /// <summary>
    /// <c>GET /secrets?variable_ids=…</c> with <c>Accept-Encoding: base64</c>, so binary values survive (spec §2.4).
    /// Returns full id → raw bytes.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, byte[]>> GetSecretsAsync(IEnumerable<ResourceId> variables, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var ids = variables.Select(v => v.ToString()).ToList();
        if (ids.Count == 0)
        {
            throw new ArgumentException("At least one variable is required.", nameof(variables));
        }

        if (ids.Find(id => id.Contains(',', StringComparison.Ordinal)) is { } withComma)
        {
            throw new ArgumentException($"'{withComma}' contains a comma and cannot be fetched in a batch.", nameof(variables));
        }

        using var response = await SendAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, Url($"/secrets{Query(("variable_ids", string.Join(',', ids)))}"));
                request.Headers.TryAddWithoutValidation("Accept-Encoding", "base64");
                return request;
            },
            authenticate: true,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var encoded = response.Content.Headers.ContentEncoding.Any(e => string.Equals(e, "base64", StringComparison.OrdinalIgnoreCase));
        var raw = await ReadJsonAsync(response, cancellationToken);
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var property in raw.EnumerateObject())
        {
            var text = property.Value.GetString() ?? "";

            // Ruby's encode64 inserts a newline every 60 characters; Convert.FromBase64String ignores whitespace.
            values[property.Name] = encoded ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
        }

        return values;
    }

    /// <summary>Sets the value of a variable of the client's account (raw bytes).</summary>
    public Task SetSecretAsync(string identifier, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
        SetSecretAsync(new ResourceId(Account, "variable", identifier), value, cancellationToken);

    /// <summary><c>POST /secrets/{account}/{kind}/{identifier}</c>; the body is the value, byte for byte.</summary>
    public async Task SetSecretAsync(ResourceId variable, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, Url($"/secrets/{Segment(variable.Account)}/{Segment(variable.Kind)}/{Segment(variable.Identifier)}"))
            {
                Content = new ReadOnlyMemoryContent(value) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } },
            },
            authenticate: true,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    // ---------------------------------------------------------------- resources (spec §2.6)

    /// <summary><c>GET /resources/{account}</c> with filters: the resources visible to the caller.</summary>
    public async Task<IReadOnlyList<ConjurResource>> ListResourcesAsync(ResourceListQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new ResourceListQuery();
        var raw = await GetJsonAsync(
            $"/resources/{Segment(Account)}" + Query(
                ("kind", query.Kind),
                ("search", query.Search),
                ("limit", query.Limit?.ToString(CultureInfo.InvariantCulture)),
                ("offset", query.Offset?.ToString(CultureInfo.InvariantCulture)),
                ("role", query.Role)),
            cancellationToken);
        return raw.EnumerateArray().Select(item => Typed<ConjurResource>(item) with { Raw = item.Clone() }).ToList();
    }

    /// <summary><c>GET /resources/{account}/{kind}/{identifier}</c>.</summary>
    public async Task<ConjurResource> ShowResourceAsync(ResourceId resource, CancellationToken cancellationToken = default)
    {
        var raw = await GetJsonAsync(ResourcePath("resources", resource), cancellationToken);
        return Typed<ConjurResource>(raw) with { Raw = raw };
    }

    /// <summary>True when the resource exists (visible, or visible-but-forbidden 403); false on 404.</summary>
    public async Task<bool> ResourceExistsAsync(ResourceId resource, CancellationToken cancellationToken = default) =>
        await ExistsAsync(ResourcePath("resources", resource), cancellationToken);

    /// <summary><c>?permitted_roles&amp;privilege=P</c>: roles holding the privilege, sorted.</summary>
    public async Task<IReadOnlyList<string>> PermittedRolesAsync(ResourceId resource, string privilege, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(privilege);
        var raw = await GetJsonAsync(ResourcePath("resources", resource) + Query(("permitted_roles", "true"), ("privilege", privilege)), cancellationToken);
        return raw.EnumerateArray().Select(e => e.GetString() ?? "").Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// <c>?check&amp;privilege=P[&amp;role=R]</c>: true on 204, false on 404 (the privilege is missing or the resource is
    /// not visible, which the server does not distinguish).
    /// </summary>
    public async Task<bool> CheckPermissionAsync(ResourceId resource, string privilege, ResourceId? role = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(privilege);
        var path = ResourcePath("resources", resource) + Query(("check", "true"), ("privilege", privilege), ("role", role?.ToString()));
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Url(path)), authenticate: true, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        return true;
    }

    // ---------------------------------------------------------------- roles (spec §2.7)

    /// <summary><c>GET /roles/{account}/{kind}/{identifier}</c>.</summary>
    public async Task<ConjurRole> ShowRoleAsync(ResourceId role, CancellationToken cancellationToken = default)
    {
        var raw = await GetJsonAsync(ResourcePath("roles", role), cancellationToken);
        return Typed<ConjurRole>(raw) with { Raw = raw };
    }

    /// <summary>True when the role is addressable by the caller; false on 404.</summary>
    public async Task<bool> RoleExistsAsync(ResourceId role, CancellationToken cancellationToken = default) =>
        await ExistsAsync(ResourcePath("roles", role), cancellationToken);

    /// <summary><c>?members</c>: the direct members (grants where <c>role</c> is this role).</summary>
    public async Task<IReadOnlyList<RoleGrant>> RoleMembersAsync(ResourceId role, CancellationToken cancellationToken = default)
    {
        var raw = await GetJsonAsync(ResourcePath("roles", role) + "?members", cancellationToken);
        return raw.EnumerateArray().Select(Typed<RoleGrant>).ToList();
    }

    /// <summary><c>?memberships</c>: the direct memberships (grants where <c>member</c> is this role).</summary>
    public async Task<IReadOnlyList<RoleGrant>> RoleMembershipsAsync(ResourceId role, CancellationToken cancellationToken = default)
    {
        var raw = await GetJsonAsync(ResourcePath("roles", role) + "?memberships", cancellationToken);
        return raw.EnumerateArray().Select(Typed<RoleGrant>).ToList();
    }

    /// <summary><c>?all</c>: every role held transitively, including the role itself.</summary>
    public async Task<IReadOnlyList<string>> AllMembershipsAsync(ResourceId role, CancellationToken cancellationToken = default)
    {
        var raw = await GetJsonAsync(ResourcePath("roles", role) + "?all", cancellationToken);
        return raw.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
    }

    // ---------------------------------------------------------------- host factory (spec §2.8)

    /// <summary><c>POST /host_factory_tokens</c>: creates <paramref name="count"/> tokens valid until <paramref name="expiration"/>.</summary>
    public async Task<IReadOnlyList<HostFactoryToken>> CreateHostFactoryTokensAsync(
        ResourceId hostFactory, DateTimeOffset expiration, IReadOnlyList<string>? cidrs = null, int count = 1, CancellationToken cancellationToken = default)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("host_factory", hostFactory.ToString()),
            new("expiration", expiration.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
            new("count", count.ToString(CultureInfo.InvariantCulture)),
        };
        form.AddRange((cidrs ?? []).Select(c => new KeyValuePair<string, string>("cidr[]", c)));
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, Url("/host_factory_tokens")) { Content = new FormUrlEncodedContent(form) },
            authenticate: true,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var raw = await ReadJsonAsync(response, cancellationToken);
        return raw.EnumerateArray().Select(item => Typed<HostFactoryToken>(item) with { Raw = item.Clone() }).ToList();
    }

    /// <summary><c>DELETE /host_factory_tokens/{token}</c>.</summary>
    public async Task RevokeHostFactoryTokenAsync(string hostFactoryToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostFactoryToken);
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Delete, Url($"/host_factory_tokens/{Segment(hostFactoryToken)}")),
            authenticate: true,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    /// <summary>
    /// <c>POST /host_factories/hosts</c> authenticated by the host-factory token itself (raw, not Base64):
    /// enrols host <paramref name="id"/> and returns it with its API key.
    /// </summary>
    public async Task<HostFactoryHost> CreateHostAsync(
        string hostFactoryToken, string id, IReadOnlyDictionary<string, string>? annotations = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostFactoryToken);
        ArgumentException.ThrowIfNullOrEmpty(id);
        var form = new List<KeyValuePair<string, string>> { new("id", id) };
        form.AddRange((annotations ?? new Dictionary<string, string>()).Select(a => new KeyValuePair<string, string>($"annotations[{a.Key}]", a.Value)));
        using var response = await SendAsync(
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Post, Url("/host_factories/hosts")) { Content = new FormUrlEncodedContent(form) };
                request.Headers.TryAddWithoutValidation("Authorization", $"Token token=\"{hostFactoryToken}\"");
                return request;
            },
            authenticate: false,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var raw = await ReadJsonAsync(response, cancellationToken);
        return Typed<HostFactoryHost>(raw) with { Raw = raw };
    }

    // ---------------------------------------------------------------- public keys (spec §2.9)

    /// <summary><c>GET /public_keys/{account}/user/{login}</c>: one key per line. Sent with a token when the client has credentials.</summary>
    public async Task<string> GetPublicKeysAsync(string login, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(login);
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, Url($"/public_keys/{Segment(Account)}/user/{Segment(login)}")),
            authenticate: Credentials is not null,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    // ---------------------------------------------------------------- plumbing

    /// <summary>
    /// Percent-encodes one path segment: <c>/</c> → <c>%2F</c>, <c>@</c> → <c>%40</c> (spec §1.1). A segment made only of
    /// dots is encoded too, or URI normalisation would turn <c>..</c> into a different path.
    /// </summary>
    internal static string Segment(string value) =>
        value is "." or ".." ? value.Replace(".", "%2E", StringComparison.Ordinal) : Uri.EscapeDataString(value);

    internal static string Query(params (string Key, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }

    private static string ResourcePath(string collection, ResourceId id) =>
        $"/{collection}/{Segment(id.Account)}/{Segment(id.Kind)}/{Segment(id.Identifier)}";

    private static string AuthenticatorPath(string authenticator) =>
        string.Join('/', authenticator.Split('/').Select(Segment));

    private Uri Url(string pathAndQuery) => new(baseUrl + pathAndQuery, UriKind.Absolute);

    private static HttpRequestMessage WithBasic(HttpRequestMessage request, string login, string password)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login}:{password}")));
        return request;
    }

    private async Task<JsonElement> GetJsonAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Url(path)), authenticate: true, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return await ReadJsonAsync(response, cancellationToken);
    }

    private async Task<bool> ExistsAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Url(path)), authenticate: true, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.NotFound:
                return false;
            case HttpStatusCode.Forbidden:
                // Visible but not permitted: it exists (spec §1.4, "invisible → 404, forbidden → 403").
                return true;
            default:
                await EnsureSuccessAsync(response, cancellationToken);
                return true;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, bool authenticate, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = build();
            var newlyIssued = false;
            if (authenticate)
            {
                var (current, fresh) = await AcquireTokenAsync(forceNew: attempt > 0, cancellationToken);
                newlyIssued = fresh;
                request.Headers.TryAddWithoutValidation("Authorization", current.AuthorizationHeaderValue);
            }

            var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);

            // A cached token can be refused (server restarted with new keys, clock skew): try once with a new one.
            if (authenticate && response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0 && !newlyIssued)
            {
                response.Dispose();
                InvalidateToken();
                continue;
            }

            return response;
        }
    }

    private async Task<(AccessToken Token, bool Fresh)> AcquireTokenAsync(bool forceNew, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!forceNew && token is not null && token.IsFresh(now))
        {
            return (token, false);
        }

        await tokenGate.WaitAsync(cancellationToken);
        try
        {
            now = time.GetUtcNow();
            if (!forceNew && token is not null && token.IsFresh(now))
            {
                return (token, false);
            }

            if (!forceNew && Credentials is not AccessTokenFileCredentials && store?.Load(TokenCacheKey) is { } cached && cached.IsFresh(now))
            {
                token = cached;
                return (cached, false);
            }

            return (await RenewTokenAsync(cancellationToken), true);
        }
        finally
        {
            tokenGate.Release();
        }
    }

    private async Task<AccessToken> RenewTokenAsync(CancellationToken cancellationToken)
    {
        var renewed = Credentials switch
        {
            ApiKeyCredentials apiKey => await AuthenticateWithApiKeyAsync(apiKey, cancellationToken),
            WorkloadCredentials workload => await AuthenticateWorkloadAsync(workload, cancellationToken),
            AccessTokenFileCredentials file => await ReadTokenFileAsync(file, cancellationToken),
            _ => throw new ConjurCredentialsException("No credentials are configured."),
        };
        token = renewed;
        if (Credentials is not AccessTokenFileCredentials)
        {
            store?.Save(TokenCacheKey, renewed);
        }

        return renewed;
    }

    private async Task<AccessToken> AuthenticateWithApiKeyAsync(ApiKeyCredentials credentials, CancellationToken cancellationToken)
    {
        // The API key travels as the raw body; the server must never form-decode it (spec §2.1).
        using var response = await SendAsync(
            () => new HttpRequestMessage(
                HttpMethod.Post,
                Url($"/{AuthenticatorPath(credentials.Authenticator)}/{Segment(Account)}/{Segment(credentials.Login)}/authenticate"))
            {
                Content = new StringContent(credentials.ApiKey, new UTF8Encoding(false), "text/plain"),
            },
            authenticate: false,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return AccessToken.Parse(await response.Content.ReadAsStringAsync(cancellationToken), time.GetUtcNow());
    }

    private async Task<AccessToken> AuthenticateWorkloadAsync(WorkloadCredentials credentials, CancellationToken cancellationToken)
    {
        string jwt;
        try
        {
            // Read on every authentication: Kubernetes and SPIRE rotate the file.
            jwt = (await File.ReadAllTextAsync(credentials.TokenFile, cancellationToken)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConjurCredentialsException($"Cannot read the {credentials.Type.ToString().ToLowerInvariant()} token file '{credentials.TokenFile}': {e.Message}", e);
        }

        if (jwt.Length == 0)
        {
            throw new ConjurCredentialsException($"The token file '{credentials.TokenFile}' is empty.");
        }

        var path = $"/{credentials.Authenticator}/{Segment(credentials.ServiceId)}/{Segment(Account)}"
            + (credentials.HostId is { } hostId && credentials.Type != WorkloadAuthnType.Spiffe ? $"/{Segment(hostId)}" : "")
            + "/authenticate";
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, Url(path)) { Content = new FormUrlEncodedContent([new("jwt", jwt)]) },
            authenticate: false,
            cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return AccessToken.Parse(await response.Content.ReadAsStringAsync(cancellationToken), time.GetUtcNow());
    }

    private async Task<AccessToken> ReadTokenFileAsync(AccessTokenFileCredentials credentials, CancellationToken cancellationToken)
    {
        try
        {
            return AccessToken.Parse(await File.ReadAllTextAsync(credentials.Path, cancellationToken), time.GetUtcNow());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new ConjurCredentialsException($"Cannot read the access token file '{credentials.Path}': {e.Message}", e);
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        throw ConjurApiException.FromResponse(response, body);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ConjurApiException(response.StatusCode, $"The server sent a response that is not JSON ({e.Message}).", null, Encoding.UTF8.GetString(bytes));
        }
    }

    private static T Typed<T>(JsonElement raw)
        where T : class
    {
        try
        {
            return raw.Deserialize<T>(JsonOptions) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new ConjurApiException(HttpStatusCode.OK, $"The server sent JSON of an unexpected shape for {typeof(T).Name} ({e.Message}).", null, raw.GetRawText());
        }
    }
}
