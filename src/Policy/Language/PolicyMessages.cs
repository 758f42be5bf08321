namespace Secrets.Policy.Language;

/// <summary>
/// Every message text of the policy language in one place. The texts reproduce Conjur's wording because clients
/// and scripts match on them (spec 4.1, 4.2, 4.4, 4.9).
/// </summary>
internal static class PolicyMessages
{
    // Validation (validation_failed on policy_text, spec 4.9).
    public const string NotPresent = "is not present";
    public const string MayNotContainDeletions = "may not contain deletion statements";

    // Document shape (spec 4.1).
    public const string MultipleDocuments =
        "Multiple YAML documents encountered. Only a single document is permitted per policy.";
    public const string NoTypeForSequenceEntry = "No type given or inferred for sequence entry";
    public const string TabIndentation = "found character that cannot start any token while scanning for the next token";
    public const string UnexpectedMapping = "Unexpected mapping";
    public const string UnexpectedScalar = "Unexpected scalar";
    public const string TooDeep = "Policy nesting is too deep";
    public const string TooLarge = "Policy expands to too many values";
    public const string UnreadableYaml = "found unexpected content while scanning the YAML text";

    public static string UnrecognizedDataType(string tag) => $"Unrecognized data type '{tag}'";

    public static string NoSuchAttribute(string attribute, string type) => $"No such attribute '{attribute}' on type {type}";

    public static string DuplicateAttribute(string attribute) => $"Duplicate attribute: {attribute}";

    public static string DuplicateAnchor(string anchor) => $"Duplicate anchor {anchor}";

    public static string UndefinedAlias(string anchor) => $"Undefined alias *{anchor}";

    public static string Expected(string expected, string field, string got) =>
        $"Expected a {expected} for field '{field}', got {got}";

    public static string CannotBeMapping(string field) => $"Attribute '{field}' can't be a mapping";

    public static string UnexpectedStatement(string type) => $"Unexpected {type} in a list of statements";

    // CIDRs (spec 4.2, Conjur's Conjur::CIDR checks).
    public static string InvalidCidr(string value) => $"Invalid IP address or CIDR range '{value}'";

    public static string CidrNotIpv4(string value) => $"Invalid IP address or CIDR range '{value}': Address must be IPv4";

    public static string CidrHostBits(string value, string network) =>
        $"Invalid IP address or CIDR range '{value}': Value has bits set to right of mask. Did you mean '{network}'?";

    public static string InvalidPublicKey(string user) => $"Invalid public key format for user '{user}'";

    // Resolution (spec 4.4).
    public static string BlankId(string type) => $"{type} has a blank id";

    public static string BlankKind(string record) => $"{record} has a blank kind";

    public static string InvalidRelativeReference(string id) => $"Invalid relative reference: {id}";

    public static string IllegalAbsoluteId(string id) => $"Illegal absolute id: {id}";

    public static string DotSegment(string id) => $"Invalid id: {id} ('.' and '..' may not be segments of an id)";

    public static string DeclaredMoreThanOnce(string record) => $"{record} is declared more than once";

    public static string DependencyCycle(string first, string second) =>
        $"Dependency cycle encountered between {first} and {second}";

    public static string ForeignAccount(string record, string account) =>
        $"{record} can't be declared in account '{account}'";

    // Loading (spec 4.2, 4.9).
    public static string NotFound(string kind, string identifier, string account) =>
        $"{RubyCapitalize(kind)} '{identifier}' not found in account '{account}'";

    public static string HostFactoryWithoutLayers(string identifier) => $"Host factory '{identifier}' does not include any layers";

    public const string UserCreationDisabled = "User creation is disabled.";

    public const string HostApiKeyAnnotationRequired =
        "API key authentication for hosts is disabled by default and will be removed in a future release. " +
        "Add the 'authn/api-key' annotation to this host with the value 'true' to ensure authentication " +
        "works as expected for this host in the future.";

    // Warnings (spec 4.2, Conjur >= 1.24).
    public static string AnnotationMatchesKeyword(string name) =>
        $"Annotation '{name}' matches a known policy attribute. " +
        "An annotation does not set the attribute; check that this is intended.";

    /// <summary>Ruby's String#capitalize: first character upper case, the rest lower case ("host_factory" → "Host_factory").</summary>
    public static string RubyCapitalize(string value) =>
        value.Length == 0 ? value : string.Concat(char.ToUpperInvariant(value[0]).ToString(), value[1..].ToLowerInvariant());
}
