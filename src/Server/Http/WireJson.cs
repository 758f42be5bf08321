using System.Text.Json;

namespace Secrets.Server.Http;

/// <summary>
/// The JSON writer of the resource and role bodies. Property order and null handling are declared on the wire records
/// (clients and tests compare bodies byte for byte); ids are written unescaped where JSON allows (<c>+</c>, <c>&amp;</c>),
/// as the error envelope does.
/// </summary>
internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
