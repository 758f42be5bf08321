using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Secrets.Authn.Jwt;
using Secrets.Authn.Keys;
using Secrets.Authn.Tests.Infrastructure;

namespace Secrets.Authn.Tests.Jwt;

/// <summary>Keys, a fixed clock and token builders shared by the JWT test classes.</summary>
public abstract class JwtFixture
{
    public const string Issuer = "https://issuer.example.test";
    public const string Audience = "secrets-test";

    protected static readonly DateTimeOffset Now = new(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);

    protected JwtFixture()
    {
        Time = new FakeTimeProvider(Now);
        Keys = StaticKeySource.FromJwks(TestKey.Jwks(Rsa.Jwk(), Ec.Jwk()))!;
        Validator = new StrictJwtValidator(new JwtValidationOptions { Issuer = Issuer, Audiences = [Audience] }, Time);
    }

    protected FakeTimeProvider Time { get; }

    // Generated once per test run: RSA key generation is the slow part of these tests.
    protected static TestKey Rsa { get; } = TestKey.CreateRsa("rsa-1");

    protected static TestKey Ec { get; } = TestKey.CreateEc("ec-1");

    protected StaticKeySource Keys { get; }

    protected StrictJwtValidator Validator { get; }

    protected static long Seconds(DateTimeOffset time) => time.ToUnixTimeSeconds();

    /// <summary>The claims of a good token: our issuer and audience, issued now (the fake clock), valid 10 minutes.</summary>
    protected Dictionary<string, object?> GoodClaims() => new()
    {
        ["iss"] = Issuer,
        ["sub"] = "workload",
        ["aud"] = Audience,
        ["iat"] = Seconds(Time.GetUtcNow()),
        ["exp"] = Seconds(Time.GetUtcNow().AddMinutes(10)),
    };

    protected static string Json(object value) => JsonSerializer.Serialize(value);

    protected static string Header(string alg, string? kid, string? typ = null)
    {
        var header = new Dictionary<string, object?> { ["alg"] = alg };
        if (kid is not null)
        {
            header["kid"] = kid;
        }

        if (typ is not null)
        {
            header["typ"] = typ;
        }

        return Json(header);
    }

    /// <summary>A token signed by <paramref name="key"/> with its own kid and alg, with changed claims.</summary>
    protected string Token(TestKey key, Action<Dictionary<string, object?>>? change = null)
    {
        var claims = GoodClaims();
        change?.Invoke(claims);
        return key.Sign(Header(key.Alg, key.Kid), Json(claims));
    }

    protected ValueTask<JwtValidationResult> ValidateAsync(string token) =>
        Validator.ValidateAsync(token, Keys, CancellationToken.None);

    protected async Task<JwtFailure> FailureOfAsync(string token) => (await ValidateAsync(token)).Failure;
}
