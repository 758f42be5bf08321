using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Secrets.Authn.Jwt;

namespace Secrets.Authn.Tests.Infrastructure;

/// <summary>A signing key pair made inside the test, with its public JWK and the library's view of it.</summary>
public sealed class TestKey : IDisposable
{
    private TestKey(string kid, string alg, RSA? rsa, ECDsa? ec)
    {
        Kid = kid;
        Alg = alg;
        Rsa = rsa;
        Ec = ec;
    }

    public string Kid { get; }

    public string Alg { get; }

    public RSA? Rsa { get; }

    public ECDsa? Ec { get; }

    public static TestKey CreateRsa(string kid, string alg = "RS256", int bits = 2048) => new(kid, alg, RSA.Create(bits), null);

    public static TestKey CreateEc(string kid, string alg = "ES256") => new(kid, alg, null, ECDsa.Create(alg switch
    {
        "ES384" => ECCurve.NamedCurves.nistP384,
        "ES512" => ECCurve.NamedCurves.nistP521,
        _ => ECCurve.NamedCurves.nistP256,
    }));

    /// <summary>The kid Kubernetes derives: base64url(SHA-256(DER SubjectPublicKeyInfo)).</summary>
    public string KubernetesKid => Base64Url.EncodeToString(SHA256.HashData(Rsa?.ExportSubjectPublicKeyInfo() ?? Ec!.ExportSubjectPublicKeyInfo()));

    public string PublicPem => Rsa?.ExportSubjectPublicKeyInfoPem() ?? Ec!.ExportSubjectPublicKeyInfoPem();

    public byte[] SubjectPublicKeyInfo => Rsa?.ExportSubjectPublicKeyInfo() ?? Ec!.ExportSubjectPublicKeyInfo();

    /// <summary>The public JWK as JSON, with <c>alg</c> and <c>use</c> unless told otherwise.</summary>
    public string Jwk(bool withAlg = true, string? kidOverride = null, string? use = "sig")
    {
        var members = new Dictionary<string, object?>();
        if (Rsa is not null)
        {
            var p = Rsa.ExportParameters(false);
            members["kty"] = "RSA";
            members["n"] = Base64Url.EncodeToString(p.Modulus);
            members["e"] = Base64Url.EncodeToString(p.Exponent);
        }
        else
        {
            var p = Ec!.ExportParameters(false);
            members["kty"] = "EC";
            members["crv"] = Alg switch { "ES384" => "P-384", "ES512" => "P-521", _ => "P-256" };
            members["x"] = Base64Url.EncodeToString(p.Q.X);
            members["y"] = Base64Url.EncodeToString(p.Q.Y);
        }

        members["kid"] = kidOverride ?? Kid;
        if (use is not null)
        {
            members["use"] = use;
        }

        if (withAlg)
        {
            members["alg"] = Alg;
        }

        return JsonSerializer.Serialize(members);
    }

    public static string Jwks(params string[] jwks) => "{\"keys\":[" + string.Join(",", jwks) + "]}";

    public JwtKey ToJwtKey() => JwtKey.FromJwk(JsonDocument.Parse(Jwk()).RootElement)!;

    /// <summary>Signs <c>header.payload</c> with this key as <paramref name="alg"/> says (default: the key's own alg).</summary>
    public string Sign(string headerJson, string payloadJson, string? alg = null)
    {
        alg ??= Alg;
        var input = Segment(headerJson) + "." + Segment(payloadJson);
        var bytes = Encoding.ASCII.GetBytes(input);
        var hash = alg[2..] switch { "384" => HashAlgorithmName.SHA384, "512" => HashAlgorithmName.SHA512, _ => HashAlgorithmName.SHA256 };
        var signature = alg[0] switch
        {
            'R' => Rsa!.SignData(bytes, hash, RSASignaturePadding.Pkcs1),
            'P' => Rsa!.SignData(bytes, hash, RSASignaturePadding.Pss),
            _ => Ec!.SignData(bytes, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation),
        };
        return input + "." + Base64Url.EncodeToString(signature);
    }

    public static string Segment(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    public void Dispose()
    {
        Rsa?.Dispose();
        Ec?.Dispose();
    }
}
