using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Secrets.Policy.Authorization;
using Secrets.Policy.Store;

namespace Secrets.Server.Http;

/// <summary>
/// One error result type for the whole API: the Conjur v1 envelope of spec 1.4
/// (<c>{"error":{"code","message","target","details","innererror"}}</c>), an empty body ("head N"), or a plain-text body.
/// Every code and message the server sends lives in <see cref="Errors"/>.
/// </summary>
internal sealed class ConjurError : IResult, IStatusCodeHttpResult
{
    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly ErrorEnvelope? _body;
    private readonly string? _text;
    private readonly (string Name, string Value)? _header;

    private ConjurError(int status, ErrorEnvelope? body, string? text, (string, string)? header = null)
    {
        StatusCode = status;
        _body = body;
        _text = text;
        _header = header;
    }

    public int StatusCode { get; }

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    /// <summary>The error message, for audit records (null for empty bodies).</summary>
    public string? Message => _body?.Error.Message ?? _text;

    public static ConjurError Envelope(int status, ErrorBody body, (string, string)? header = null) => new(status, new ErrorEnvelope(body), null, header);

    public static ConjurError Head(int status) => new(status, null, null);

    public static ConjurError PlainText(int status, string text) => new(status, null, text);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        if (_header is { } h)
        {
            response.Headers[h.Name] = h.Value;
        }

        if (_body is not null)
        {
            response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(response.Body, _body, Json, httpContext.RequestAborted);
        }
        else if (_text is not null)
        {
            response.ContentType = "text/plain";
            await response.WriteAsync(_text, httpContext.RequestAborted);
        }
    }
}

internal sealed record ErrorEnvelope([property: JsonPropertyName("error")] ErrorBody Error);

internal sealed record ErrorBody(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("target")] string? Target = null,
    [property: JsonPropertyName("details")] object? Details = null,
    [property: JsonPropertyName("innererror")] object? InnerError = null);

internal sealed record ErrorDetail(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("message")] string Message);

internal sealed record PolicyInnerError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("filename")] string Filename,
    [property: JsonPropertyName("line")] int Line,
    [property: JsonPropertyName("column")] int Column);

/// <summary>The error catalog (spec 1.2, 1.4, 2.x): every status, code and message text the server answers with.</summary>
internal static class Errors
{
    // Token middleware (spec 1.2): text/plain bodies.
    public static ConjurError InvalidToken() => ConjurError.PlainText(401, "Unauthorized: Invalid token");

    public static ConjurError IpRejected() => ConjurError.PlainText(403, "IP address rejected");

    /// <summary>Every authentication failure looks the same to the client; the reason goes to the audit record only.</summary>
    public static ConjurError Unauthorized() => ConjurError.Head(401);

    public static ConjurError UnauthorizedMessage(string message) =>
        ConjurError.Envelope(401, new ErrorBody("unauthorized", message));

    public static ConjurError CredentialStrengthInsufficient() => UnauthorizedMessage("Credential strength is insufficient");

    public static ConjurError ForeignUser() => UnauthorizedMessage("Operation attempted against foreign user");

    public static ConjurError Forbidden() => ConjurError.Head(403);

    /// <summary>
    /// The one map from an authorization decision to its answer (spec 5.2): null when allowed; the endpoint's own
    /// "not found" when the resource is absent or hidden (the two look the same); a head 403 when forbidden.
    /// </summary>
    public static ConjurError? For(AccessDecision decision, Func<ConjurError> notFound) => decision switch
    {
        AccessDecision.Allowed => null,
        AccessDecision.Forbidden => Forbidden(),
        _ => notFound(),
    };

    public static ConjurError BadRequest() => ConjurError.Head(400);

    public static ConjurError NotFound() => ConjurError.Head(404);

    /// <summary>The record-not-found envelope for a full id (a malformed one keeps what parts it has).</summary>
    public static ConjurError RecordNotFound(string fullId) =>
        FullId.TryParse(fullId, out var id)
            ? RecordNotFound(id.Account, id.Kind, id.Identifier)
            : RecordNotFound(FullId.AccountOf(fullId), FullId.KindOf(fullId), string.Empty);

    /// <summary>Record-not-found shape: <c>&lt;Kind capitalised&gt; '&lt;identifier&gt;' not found in account '&lt;account&gt;'</c>.</summary>
    public static ConjurError RecordNotFound(string account, string kind, string identifier) =>
        ConjurError.Envelope(404, new ErrorBody(
            "not_found",
            $"{Capitalise(kind)} '{identifier}' not found in account '{account}'",
            kind,
            new ErrorDetail("not_found", "id", $"{account}:{kind}:{identifier}")));

    public static ConjurError RoleNotFound(string roleId, string message) =>
        ConjurError.Envelope(404, new ErrorBody("not_found", message, "role", new ErrorDetail("not_found", "id", roleId)));

    public static ConjurError SecretNotFound(string variableId) =>
        ConjurError.Envelope(404, new ErrorBody("not_found", $"CONJ00076E Variable {variableId} is empty or not found."));

    public static ConjurError ArgumentError(string message) => ConjurError.Envelope(422, new ErrorBody("argument_error", message));

    // Secrets (spec 2.4, 9).
    public static ConjurError SecretValueEmpty() => ArgumentError("'value' may not be empty");

    public static ConjurError InvalidVersionParameter() => ArgumentError("invalid type for parameter 'version'");

    public static ConjurError VariableIdsInvalid() => ArgumentError("variable_ids");

    /// <summary>A query parameter holding NUL (%00): no id, login or search can hold it. The name is echoed unless it holds NUL itself.</summary>
    public static ConjurError NulInParameter(string name) =>
        ArgumentError(name.Length == 0 || name.Contains('\0', StringComparison.Ordinal)
            ? "a query parameter contains a NUL character"
            : $"parameter '{name}' contains a NUL character");

    public static ConjurError InvalidPublicKey() => ArgumentError("Invalid public key format");

    public static ConjurError ParameterMissing(string name) =>
        ConjurError.Envelope(422, new ErrorBody("parameter_missing", $"param is missing or the value is empty: {name}"));

    public static ConjurError ValidationFailed(string target, string message) =>
        ConjurError.Envelope(422, new ErrorBody(
            "validation_failed",
            $"{target} {message}",
            null,
            new[] { new ErrorDetail("validation_failed", target, message) }));

    public static ConjurError Unprocessable(string message) => ConjurError.Envelope(422, new ErrorBody("unprocessable_entity", message));

    public static ConjurError PolicyInvalid(string message, int? line = null, int? column = null) =>
        ConjurError.Envelope(422, new ErrorBody(
            "policy_invalid",
            message,
            InnerError: line is int l ? new PolicyInnerError("policy_invalid", "policy", l, column ?? 0) : null));

    /// <summary>A load declaring more rows than its text may (issue 8, Medium 5: SECRETS_POLICY_MAX_ROWS_PER_LINE, SECRETS_POLICY_MAX_ROWS).</summary>
    public static ConjurError PolicyTooLarge(long declaredRows, long cap, int lines) =>
        ConjurError.Envelope(422, new ErrorBody(
            "policy_too_large",
            string.Create(CultureInfo.InvariantCulture, $"The policy declares {declaredRows} rows in {lines} lines; at most {cap} are allowed for this text")));

    public static ConjurError Conflict(string kind, string id) =>
        ConjurError.Envelope(409, new ErrorBody("conflict", $"{kind} \"{id}\" already exists", kind, new ErrorDetail("conflict", "id", id)));

    // GET effective policy (spec 2.5). Conjur raises these as BadRequest (400) and UnprocessableEntity (422); the exact
    // texts of its Errors::EffectivePolicy were not available, so these say the same in our words (docs/decisions.md).
    public static ConjurError EffectivePolicyKindNotPolicy(string kind) =>
        ConjurError.Envelope(400, new ErrorBody("bad_request", $"Unsupported kind '{kind}': the effective policy is only available for kind 'policy'"));

    public static ConjurError EffectivePolicyInvalidNumber(string name, string value, int max) =>
        ConjurError.Envelope(400, new ErrorBody("bad_request", $"'{name}' must be an integer between 0 and {max}, got '{value}'"));

    public static ConjurError EffectivePolicyLimitExceeded(int limit, long count) =>
        ConjurError.Envelope(422, new ErrorBody("unprocessable_entity", $"The effective policy has {count} elements, more than the limit of {limit}"));

    public static ConjurError PolicyConflict(int retryAfterSeconds) =>
        ConjurError.Envelope(
            409,
            new ErrorBody("policy_conflict", "Concurrent policy load in progress, please retry"),
            ("Retry-After", retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public static ConjurError NotAcceptableBinary() =>
        ConjurError.Envelope(406, new ErrorBody(
            "not_acceptable",
            "CONJ00074E Issue encoding secret into JSON format, try including 'Accept-Encoding: base64' header in request."));

    public static ConjurError NotApplicableForRotation(string roleId) =>
        ConjurError.Envelope(405, new ErrorBody("method_not_allowed", $"CONJ00126E Role '{roleId}' is not applicable for key rotation"));

    public static ConjurError DataKeyInvalid() =>
        ConjurError.Envelope(422, new ErrorBody(
            "data_key_invalid",
            "Conjur data key is invalid or does not match encrypted data. Please check your CONJUR_DATA_KEY."));

    /// <summary>The audit sink failed and SECRETS_AUDIT_REQUIRED is on: no request succeeds unaudited (docs/decisions.md).</summary>
    public static ConjurError AuditUnavailable() =>
        ConjurError.Envelope(503, new ErrorBody(
            "audit_unavailable",
            "The audit log could not be written; the request was not answered. Any change it made may have been applied."));

    public static ConjurError PayloadTooLarge(long limit) =>
        ConjurError.Envelope(413, new ErrorBody("payload_too_large", $"The request body exceeds the limit of {limit} bytes"));

    /// <summary>The store cannot be reached or refuses writes: a client retries after Retry-After, it is not a bug.</summary>
    public static ConjurError StoreUnavailable(string state, int retryAfterSeconds) =>
        ConjurError.Envelope(
            503,
            new ErrorBody("service_unavailable", $"The store is unavailable ({state}), please retry later"),
            ("Retry-After", retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public static ConjurError Internal() => ConjurError.Envelope(500, new ErrorBody("internal_error", "An unexpected error occurred"));

    public static ConjurError RouteNotFound() =>
        ConjurError.Envelope(404, new ErrorBody("not_found", "The requested resource does not exist"));

    public static ConjurError PasswordComplexity() =>
        ValidationFailed(
            "password",
            "CONJ00046E The password you have chosen does not meet the complexity requirements. Choose a password that includes: 12-128 characters, 2 uppercase letters, 2 lowercase letters, 1 digit and 1 special character");

    // Host factory (spec 2.8, 9). No message ever carries a host-factory token.

    /// <summary>Unknown (or invisible) host-factory token on DELETE /host_factory_tokens/{token}; the token is not echoed.</summary>
    public static ConjurError HostFactoryTokenNotFound() =>
        ConjurError.Envelope(404, new ErrorBody("not_found", "Host factory token not found", "host_factory_token"));

    public static ConjurError InvalidResourceKind(string kind) => ArgumentError($"Invalid resource kind: {kind}");

    public static ConjurError InvalidHostFactoryId(string value) =>
        ArgumentError($"Invalid host_factory '{value}': expected a full id account:host_factory:identifier");

    public static ConjurError InvalidExpiration(string value) => ArgumentError($"Invalid expiration '{value}': expected an ISO-8601 time");

    public static ConjurError ExpirationNotInFuture() => ArgumentError("expiration must be in the future");

    public static ConjurError InvalidCount(int max) => ArgumentError($"count must be a whole number between 1 and {max}");

    /// <summary>Conjur wraps the CIDR ArgumentError of the token model in UnprocessableEntity.</summary>
    public static ConjurError InvalidCidr(string value) => Unprocessable($"Invalid IP address or CIDR range '{value}'");

    public static ConjurError InvalidHostId(string id) => ArgumentError($"Invalid id: {id}");

    /// <summary>Issue 8: an id in a request path or parameter with a `.` or `..` segment (dots inside a segment are fine).</summary>
    public static ConjurError DotSegmentInId() => ArgumentError("Invalid id: '.' and '..' may not be segments of an id");

    /// <summary>Issue 8: enrollment may not set the annotations authenticators trust (authn*/, conjur/, kubernetes/).</summary>
    public static ConjurError ReservedAnnotation(string name) =>
        ArgumentError($"Annotation '{name}' is reserved: names under authn*/, conjur/ and kubernetes/ may be set only by policy");

    // Resources, roles and rotation of another role's API key (spec 2.1, 2.6, 2.7, 9). Conjur raises the paging
    // messages as UnprocessableEntity, hence unprocessable_entity rather than argument_error.
    public static ConjurError LimitInvalid() =>
        Unprocessable("'limit' contains an invalid value. 'limit' must be a positive integer.");

    public static ConjurError OffsetInvalid() =>
        Unprocessable("'offset' contains an invalid value. 'offset' must be an integer greater than or equal to 0.");

    public static ConjurError LimitTooLarge(int max) => Unprocessable($"'Limit' parameter must not exceed {max}");

    /// <summary>A search with more words than the server matches (each word is one annotation query).</summary>
    public static ConjurError SearchTooLong(int maxWords) => Unprocessable($"'search' must not contain more than {maxWords} words");

    /// <summary>Conjur's <c>Role.make_full_id</c>: an id with fewer than two ':'-separated tokens.</summary>
    public static ConjurError RoleIdInvalid(string value) => ArgumentError($"Expected at least 2 tokens in {value}");

    public static ConjurError PrivilegeMissing() => ArgumentError("privilege");

    /// <summary>Rotation target absent or invisible: one message for both, so the answer does not tell them apart.</summary>
    public static ConjurError RotationTargetNotFound(string targetId, string callerId) =>
        RoleNotFound(targetId, $"CONJ00123E Resource '{targetId}' requested by role '{callerId}' not found");

    public static ConjurError ApiKeyNotUsed() =>
        ConjurError.Envelope(405, new ErrorBody("method_not_allowed", "Operation is not supported for host since it does not use api-key for authentication"));

    private static string Capitalise(string kind) => kind.Length == 0 ? kind : char.ToUpperInvariant(kind[0]) + kind[1..];
}
