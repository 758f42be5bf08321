
namespace Secrets.Server.Http;

/// <summary>How an endpoint treats the access token (spec 1.2): required (the default), optional, or ignored.</summary>
internal enum TokenUse
{
    Required,
    Optional,
    Ignored,
}

internal sealed record TokenUseMetadata(TokenUse Use);

/// <summary>The authenticated caller of a request: the token's account, role and login (its `sub`).</summary>
internal sealed record Caller(string Account, string RoleId, string Login, DateTimeOffset IssuedAt);

internal static class TokenAuthentication
{
    private const string CallerKey = "secrets.caller";

    /// <summary>The default, stated on a route group so that the group's rule reads where its routes are mapped.</summary>
    public static TBuilder TokenRequired<TBuilder>(this TBuilder b)
        where TBuilder : IEndpointConventionBuilder => b.WithMetadata(new TokenUseMetadata(TokenUse.Required));

    public static TBuilder TokenOptional<TBuilder>(this TBuilder b)
        where TBuilder : IEndpointConventionBuilder => b.WithMetadata(new TokenUseMetadata(TokenUse.Optional));

    public static TBuilder TokenIgnored<TBuilder>(this TBuilder b)
        where TBuilder : IEndpointConventionBuilder => b.WithMetadata(new TokenUseMetadata(TokenUse.Ignored));

    public static Caller? GetCaller(this HttpContext ctx) => ctx.Items[CallerKey] as Caller;

    /// <summary>The caller of an endpoint that requires a token (the middleware guarantees it is set).</summary>
    public static Caller RequiredCaller(this HttpContext ctx) =>
        ctx.GetCaller() ?? throw new InvalidOperationException("endpoint requires a token but none was validated");

    /// <summary>Set by the token middleware once the token and its role are verified.</summary>
    public static void SetCaller(this HttpContext ctx, Caller caller) => ctx.Items[CallerKey] = caller;
}
