using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Secrets.Policy.Language;
using Secrets.Server.Authentication;
using Secrets.Server.Authorization;
using Secrets.Server.Crypto;
using Secrets.Server.Http;

namespace Secrets.Server.Policies;

/// <summary>PUT/POST/PATCH /policies/{account}/policy/{identifier}[?dryRun=true] (spec 2.5, 4).</summary>
internal static class PolicyEndpoints
{
    /// <summary>Loads under per-account locks, with the cache of resolved policies; the account's root policy on first use.</summary>
    public static IServiceCollection AddPolicies(this IServiceCollection services) =>
        services.AddSingleton<PolicyLocks>().AddSingleton<ResolvedPolicyCache>().AddScoped<RootPolicy>().AddScoped<PolicyLoader>();

    public static IEndpointRouteBuilder MapPolicyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/policies/{account}/policy/{**identifier}", (HttpContext ctx, PolicyLoader loader, CancellationToken ct) => Load(ctx, loader, PolicyLoadMode.Add, ct))
            .ServesCredentials();
        app.MapPatch("/policies/{account}/policy/{**identifier}", (HttpContext ctx, PolicyLoader loader, CancellationToken ct) => Load(ctx, loader, PolicyLoadMode.Update, ct))
            .ServesCredentials();
        app.MapPut("/policies/{account}/policy/{**identifier}", (HttpContext ctx, PolicyLoader loader, CancellationToken ct) => Load(ctx, loader, PolicyLoadMode.Replace, ct))
            .ServesCredentials();
        return app;
    }

    internal static async Task<IResult> Load(HttpContext ctx, PolicyLoader loader, PolicyLoadMode mode, CancellationToken ct)
    {
        var phases = new LoadPhases();
        var caller = ctx.RequiredCaller();
        var account = PathSegments.At(ctx, 1);
        var identifier = PathSegments.Tail(ctx, 3);
        if (account is null || identifier is null || identifier.Length == 0)
        {
            return Errors.RouteNotFound();
        }

        var limits = ctx.RequestServices.GetRequiredService<Configuration.LimitsOptions>();
        var body = await RawBody.ReadBytesAsync(ctx.Request, limits.MaxRequestBodyBytes, ct);
        if (body is null)
        {
            return Errors.PayloadTooLarge(limits.MaxRequestBodyBytes);
        }

        // A body that is not text is refused by the loader, after the 404/403 checks and with an audit record.
        string text;
        string? bodyError = null;
        try
        {
            text = new UTF8Encoding(false, true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            text = "";
            bodyError = StorableText.NotUtf8;
        }

        if (bodyError is null && StorableText.HasNul(text))
        {
            bodyError = StorableText.ControlCharacters;
        }

        phases.Mark("read body");
        var dryRun = ctx.Request.Query.TryGetValue("dryRun", out var d) && string.Equals(d.ToString(), "true", StringComparison.OrdinalIgnoreCase);
        var request = new PolicyLoadRequest(caller, account, identifier, mode, text, dryRun, ClientAddresses.Get(ctx)?.ToString()) { BodyError = bodyError, Phases = phases };
        return await loader.LoadAsync(request, ct);
    }
}

internal sealed record PolicyLoadRequest(Caller Caller, string Account, string Identifier, PolicyLoadMode Mode, string Text, bool DryRun, string? ClientIp)
{
    /// <summary>Why the body cannot be a policy text at all (not UTF-8, NUL characters); null when it is text.</summary>
    public string? BodyError { get; init; }

    /// <summary>Where the time of this load went, for the debug log.</summary>
    public LoadPhases Phases { get; init; } = new();

    /// <summary>
    /// The text's one digest per load (lower-case hex SHA-256): the key of the resolved-policy cache and the stored
    /// <c>policy_sha256</c> of the version.
    /// </summary>
    public string TextSha256 => field ??= Hashes.Sha256Hex(Text);

    public string PolicyId => $"{Account}:policy:{Identifier}";

    public string Operation => Mode == PolicyLoadMode.Add ? "create" : "update";
}

/// <summary>The 201 body of a policy load.</summary>
internal sealed record PolicyLoadResponse(
    [property: JsonPropertyName("created_roles")] IReadOnlyDictionary<string, CreatedRole> CreatedRoles,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("warnings"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Warnings);

internal sealed record CreatedRole([property: JsonPropertyName("id")] string Id, [property: JsonPropertyName("api_key")] string ApiKey);
