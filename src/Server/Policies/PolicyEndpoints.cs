using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Secrets.Policy.Language;
using Secrets.Server.Authentication;
using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Crypto;
using Secrets.Server.Http;

namespace Secrets.Server.Policies;

/// <summary>PUT/POST/PATCH /policies/{account}/policy/{identifier}[?dryRun=true] (spec 2.5, 4).</summary>
internal static partial class PolicyEndpoints
{
    /// <summary>Loads under per-account locks, with the cache of resolved policies; the account's root policy on first use.</summary>
    public static IServiceCollection AddPolicies(this IServiceCollection services) =>
        services.AddSingleton<PolicyLocks>().AddSingleton<ResolvedPolicyCache>().AddScoped<RootPolicy>().AddScoped<PolicyLoader>();

    public static IEndpointRouteBuilder MapPolicyEndpoints(this IEndpointRouteBuilder app)
    {
        var policies = app.MapGroup("/policies").TokenRequired();

        // Loads answer the API keys of the roles they create.
        policies.MapPost("/{account}/policy/{**identifier}", (HttpContext ctx, PolicyLoader loader, LimitsOptions limits, CancellationToken ct) => Load(ctx, loader, limits, PolicyLoadMode.Add, ct))
            .ServesCredentials();
        policies.MapPatch("/{account}/policy/{**identifier}", (HttpContext ctx, PolicyLoader loader, LimitsOptions limits, CancellationToken ct) => Load(ctx, loader, limits, PolicyLoadMode.Update, ct))
            .ServesCredentials();
        policies.MapPut("/{account}/policy/{**identifier}", (HttpContext ctx, PolicyLoader loader, LimitsOptions limits, CancellationToken ct) => Load(ctx, loader, limits, PolicyLoadMode.Replace, ct))
            .ServesCredentials();

        // The effective policy (PolicyEndpoints.Read.cs); any kind routes here, so that a non-policy kind gets Conjur's error.
        policies.MapGet("/{account}/{kind}/{**identifier}", Get);
        return app;
    }

    internal static async Task<Results<JsonHttpResult<PolicyLoadResponse>, ContentHttpResult, ConjurError>> Load(
        HttpContext ctx, PolicyLoader loader, LimitsOptions limits, PolicyLoadMode mode, CancellationToken ct)
    {
        var phases = new LoadPhases();
        var caller = ctx.RequiredCaller();
        var account = PathSegments.At(ctx, 1);
        var identifier = PathSegments.Tail(ctx, 3);
        if (account is null || identifier is null || identifier.Length == 0)
        {
            return Errors.RouteNotFound();
        }

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
        return await loader.LoadAsync(request, ct) switch
        {
            PolicyLoadOutcome.Loaded loaded => TypedResults.Json(loaded.Response, statusCode: 201),
            PolicyLoadOutcome.Validated validated => TypedResults.Text(validated.Report, "application/json", Encoding.UTF8, 200),
            PolicyLoadOutcome.Rejected { DryRunReport: { } report } => TypedResults.Text(report, "application/json", Encoding.UTF8, 422),
            PolicyLoadOutcome.Rejected rejected => ToHttp(rejected.Error),
            PolicyLoadOutcome.TooLarge tooLarge => Errors.PolicyTooLarge(tooLarge.Size.DeclaredRows, tooLarge.Size.Cap, tooLarge.Size.Lines),
            PolicyLoadOutcome.Hidden => Errors.RecordNotFound(account, "policy", identifier),
            PolicyLoadOutcome.Forbidden => Errors.Forbidden(),
            PolicyLoadOutcome.Conflict conflict => Errors.PolicyConflict(conflict.RetryAfterSeconds),
            var other => throw new InvalidOperationException($"unmapped policy load outcome {other.GetType().Name}"),
        };
    }

    private static ConjurError ToHttp(PolicyError error) => error.Code switch
    {
        PolicyErrorCode.ValidationFailed => Errors.ValidationFailed(error.Target ?? "policy_text", error.TargetMessage ?? error.Detail),
        _ => error.IsStructural ? Errors.PolicyInvalid(error.Message, error.Line, error.Column) : Errors.PolicyInvalid(error.Message),
    };
}

/// <summary>What a policy load came to, in the loader's words; <see cref="PolicyEndpoints"/> says it in HTTP.</summary>
internal abstract record PolicyLoadOutcome
{
    /// <summary>Written: the API keys of the roles it created, the new version, the planner's warnings (201).</summary>
    public sealed record Loaded(PolicyLoadResponse Response) : PolicyLoadOutcome;

    /// <summary>A dry run that would succeed, with its report (JSON) of what the load would change (200).</summary>
    public sealed record Validated(string Report) : PolicyLoadOutcome;

    /// <summary>The text is no valid or storable policy (422); a dry run says so in its report (JSON).</summary>
    public sealed record Rejected(PolicyError Error, string? DryRunReport) : PolicyLoadOutcome;

    /// <summary>Declares more rows than one load may (issue 8): refused before anything is expanded (422).</summary>
    public sealed record TooLarge(PolicySize Size) : PolicyLoadOutcome
    {
        public string Message => Errors.PolicyTooLarge(Size.DeclaredRows, Size.Cap, Size.Lines).Message!;
    }

    /// <summary>The policy does not exist or the caller cannot see it (404, the same either way).</summary>
    public sealed record Hidden : PolicyLoadOutcome;

    /// <summary>Visible, but the caller may not load it or may not delete what it would delete (head 403).</summary>
    public sealed record Forbidden : PolicyLoadOutcome;

    /// <summary>Another load holds the account's lock past the wait (409 with Retry-After).</summary>
    public sealed record Conflict(int RetryAfterSeconds) : PolicyLoadOutcome;
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
