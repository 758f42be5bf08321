using System.Net;
using System.Text.Json;

namespace Secrets.Cli.Client;

/// <summary>
/// A non-success answer from the server. <see cref="Exception.Message"/> is the server's
/// <c>error.message</c> when the body carries the Conjur error envelope, otherwise the HTTP status line
/// (plus a short plain-text body, such as the token middleware's <c>Authorization missing</c>).
/// </summary>
public sealed class ConjurApiException : Exception
{
    /// <summary>Creates an exception with a message only (status 0).</summary>
    public ConjurApiException()
        : this("The server answered with an error.")
    {
    }

    /// <summary>Creates an exception with a message only (status 0).</summary>
    public ConjurApiException(string message)
        : base(message)
    {
        Body = "";
    }

    /// <summary>Creates an exception with a message and an inner exception (status 0).</summary>
    public ConjurApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Body = "";
    }

    /// <summary>Creates an exception describing an HTTP answer.</summary>
    public ConjurApiException(HttpStatusCode statusCode, string message, string? errorCode, string body)
        : base(message)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
        Body = body;
    }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The envelope's <c>error.code</c> (for example <c>not_found</c>, <c>policy_invalid</c>), if any.</summary>
    public string? ErrorCode { get; }

    /// <summary>The raw response body (may be empty).</summary>
    public string Body { get; }

    /// <summary>Builds the exception from a response whose body has already been read.</summary>
    internal static ConjurApiException FromResponse(HttpResponseMessage response, string body)
    {
        var status = response.StatusCode;
        var statusLine = $"{(int)status} {response.ReasonPhrase ?? status.ToString()}";
        var (code, message) = ParseEnvelope(body);
        if (message is null && IsShortPlainText(response, body))
        {
            message = $"{statusLine}: {body.Trim()}";
        }

        return new ConjurApiException(status, message ?? statusLine, code, body);
    }

    private static bool IsShortPlainText(HttpResponseMessage response, string body) =>
        response.Content.Headers.ContentType?.MediaType == "text/plain"
        && body.Length is > 0 and <= 200
        && !body.Trim().Contains('\n', StringComparison.Ordinal);

    /// <summary>
    /// Reads the v1 envelope <c>{"error":{"code","message"}}</c> and the dry-run failure shape
    /// <c>{"status":"Invalid YAML","errors":[{"line","column","message"}]}</c> (spec §1.4, §2.5).
    /// </summary>
    private static (string? Code, string? Message) ParseEnvelope(string body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] is not ('{' or '['))
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }

            if (root.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.String)
                {
                    return (null, error.GetString());
                }

                if (error.ValueKind == JsonValueKind.Object)
                {
                    var code = error.TryGetProperty("code", out var c) ? ScalarText(c) : null;
                    var message = error.TryGetProperty("message", out var m) ? ScalarText(m) : null;
                    return (code, message);
                }
            }

            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                var lines = new List<string>();
                foreach (var item in errors.EnumerateArray())
                {
                    var message = item.TryGetProperty("message", out var m) ? ScalarText(m) : null;
                    var where = item.TryGetProperty("line", out var line) && line.ValueKind == JsonValueKind.Number
                        ? $"line {line.GetRawText()}" + (item.TryGetProperty("column", out var column) && column.ValueKind == JsonValueKind.Number
                            ? $", column {column.GetRawText()}"
                            : "") + ": "
                        : "";
                    lines.Add(where + (message ?? item.GetRawText()));
                }

                var status = root.TryGetProperty("status", out var s) ? ScalarText(s) : null;
                if (lines.Count > 0)
                {
                    return (null, (status is null ? "" : status + ": ") + string.Join("; ", lines));
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON after all: the caller falls back to the status line.
        }

        return (null, null);
    }

    private static string? ScalarText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
        _ => null,
    };
}
