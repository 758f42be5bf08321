using System.Diagnostics.CodeAnalysis;

namespace Secrets.Policy.Language;

/// <summary>The two error codes a policy load can fail with (spec 4.9); both are HTTP 422.</summary>
public enum PolicyErrorCode
{
    /// <summary><c>policy_invalid</c>: YAML, structure, resolution or reference error.</summary>
    PolicyInvalid,

    /// <summary><c>validation_failed</c> on the field <c>policy_text</c> (empty body, deletion statement in POST).</summary>
    ValidationFailed,
}

/// <summary>
/// Why a policy could not be parsed, resolved or planned. Expected failures are returned as values,
/// never thrown (house rule 7); the Server maps this to the Conjur error envelope of spec 4.9.
/// </summary>
public sealed record PolicyError
{
    /// <summary>The Conjur error code.</summary>
    public required PolicyErrorCode Code { get; init; }

    /// <summary>
    /// The bare message, e.g. <c>Unrecognized data type '!foo'</c> or <c>User 'bob' not found in account 'acct'</c>.
    /// This is what the dry-run report puts in <c>errors[].message</c>.
    /// </summary>
    public required string Detail { get; init; }

    /// <summary>1-based line of the offending YAML node, when known.</summary>
    public int? Line { get; init; }

    /// <summary>1-based column of the offending YAML node, when known.</summary>
    public int? Column { get; init; }

    /// <summary>
    /// True for errors detected while reading the YAML structure (unknown tag, unknown attribute, wrong type, ...).
    /// Conjur reports those as <c>Error at line L, column C in policy : detail</c> with an <c>innererror</c>
    /// object <c>{"code":"policy_invalid","filename":"policy","line":L,"column":C}</c> (spec 4.9).
    /// YAML syntax errors and resolver errors carry no innererror.
    /// </summary>
    public bool IsStructural { get; init; }

    /// <summary>For <see cref="PolicyErrorCode.ValidationFailed"/>: the field name, always <c>policy_text</c>.</summary>
    public string? Target { get; init; }

    /// <summary>For <see cref="PolicyErrorCode.ValidationFailed"/>: the detail message without the field name.</summary>
    public string? TargetMessage { get; init; }

    /// <summary>The text of <c>error.message</c> in the HTTP error envelope.</summary>
    public string Message => IsStructural && Line is { } line && Column is { } column
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Error at line {line}, column {column} in policy : {Detail}")
        : Detail;

    internal static PolicyError Structural(string detail, int line, int column) =>
        new() { Code = PolicyErrorCode.PolicyInvalid, Detail = detail, Line = line, Column = column, IsStructural = true };

    internal static PolicyError Invalid(string detail, int? line = null, int? column = null) =>
        new() { Code = PolicyErrorCode.PolicyInvalid, Detail = detail, Line = line, Column = column };

    internal static PolicyError Validation(string targetMessage) =>
        new()
        {
            Code = PolicyErrorCode.ValidationFailed,
            Detail = $"policy_text {targetMessage}",
            Target = "policy_text",
            TargetMessage = targetMessage,
        };

    /// <inheritdoc/>
    public override string ToString() => Message;
}

/// <summary>Non-generic factory for <see cref="PolicyResult{T}"/>.</summary>
public static class PolicyResult
{
    /// <summary>A successful result.</summary>
    public static PolicyResult<T> Success<T>(T value) where T : class => new(value, null);

    /// <summary>A failed result.</summary>
    public static PolicyResult<T> Failure<T>(PolicyError error) where T : class => new(null, error);
}

/// <summary>Either a value or a <see cref="PolicyError"/>.</summary>
/// <typeparam name="T">The value type.</typeparam>
public sealed class PolicyResult<T> where T : class
{
    internal PolicyResult(T? value, PolicyError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value when <see cref="Succeeded"/>.</summary>
    public T? Value { get; }

    /// <summary>The error when not <see cref="Succeeded"/>.</summary>
    public PolicyError? Error { get; }

    /// <summary>True when <see cref="Value"/> is set.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;
}

/// <summary>
/// Internal early exit used while walking a policy; converted to a <see cref="PolicyError"/> result at the
/// public boundary, so callers never see it.
/// </summary>
internal sealed class PolicyErrorException(PolicyError error) : Exception(error.Message)
{
    public PolicyError Error { get; } = error;
}
