using System.Text.Encodings.Web;
using System.Text.Json;

namespace Secrets.Cli.Output;

/// <summary>JSON printed like the Conjur CLI: indented by two spaces, one document per command.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        NewLine = "\n",

        // The output is for terminals and scripts, not HTML: keep '+', '<', '&' and non-ASCII readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(TextWriter writer, JsonElement element) =>
        writer.WriteLine(JsonSerializer.Serialize(element, Pretty));

    public static void Write<T>(TextWriter writer, T value) =>
        writer.WriteLine(JsonSerializer.Serialize(value, Pretty));
}
