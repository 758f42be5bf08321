using Secrets.Policy.Language;

namespace Secrets.Policy.Tests.Language;

/// <summary>Errors found while reading the YAML structure carry Conjur's text and the node's line and column (spec 4.1, 4.9).</summary>
public class ParsingPolicyErrors
{
    public static TheoryData<string, string, int, int> StructuralErrors => new()
    {
        { "- !user alice\n---\n- !user bob\n", "Multiple YAML documents encountered. Only a single document is permitted per policy.", 2, 1 },
        { "- !user alice\n- {id: bob}\n", "No type given or inferred for sequence entry", 2, 3 },
        { "- !user alice\n- bob\n", "No type given or inferred for sequence entry", 2, 3 },
        { "- !user alice\n- !foo bar\n", "Unrecognized data type '!foo'", 2, 3 },
        { "- !user\n  id: alice\n  x: 1\n", "No such attribute 'x' on type User", 3, 3 },
        { "- !grant {role: !group a, members: [!user b], privilege: read}\n", "No such attribute 'privilege' on type Grant", 1, 47 },
        { "- !user {id: a, id: b}\n", "Duplicate attribute: id", 1, 17 },
        { "- !host\n  id: a\n  annotations:\n    x: 1\n    x: 2\n", "Duplicate attribute: x", 5, 5 },
        { "- !grant\n  role: !variable x\n  member: !user bob\n", "Expected a Role for field 'role', got Variable", 2, 9 },
        { "- !grant {roles: [!group a, !webservice w], member: !user b}\n", "Expected a Role for field 'role', got Webservice", 1, 29 },
        { "- !grant {role: !group a, member: !variable v}\n", "Expected a Member for field 'member', got Variable", 1, 35 },
        { "- !grant {role: !group a, member: bob}\n", "Expected a Member for field 'member', got String", 1, 35 },
        { "- !revoke {role: !group a, member: {role: !user b}}\n", "Expected a Role for field 'member', got Member", 1, 36 },
        { "- !permit {role: !user a, privilege: read, resource: !role {kind: group, id: x}}\n", "Expected a Resource for field 'resource', got Role", 1, 54 },
        { "- !permit {role: !user a, privilege: 1, resource: !variable x}\n", "Expected a string for field 'privilege', got Integer", 1, 38 },
        { "- !host-factory {layers: [!group g]}\n", "Expected a Layer for field 'layer', got Group", 1, 27 },
        { "- !user {id: a, owner: bob}\n", "Expected a Role for field 'owner', got String", 1, 24 },
        { "- !user {id: a, owner: !variable v}\n", "Expected a Role for field 'owner', got Variable", 1, 24 },
        { "- !user {id: a, owner: {id: b}}\n", "Attribute 'owner' can't be a mapping", 1, 24 },
        { "- !user {id: a, uidnumber: abc}\n", "Expected a integer for field 'uidnumber', got String", 1, 28 },
        { "- !user {id: [a, b]}\n", "Expected a string for field 'id', got Array", 1, 14 },
        { "- !variable {id: 123}\n", "Expected a string for field 'id', got Integer", 1, 18 },
        { "- !user {id: a, annotations: [x]}\n", "Expected a hash for field 'annotations', got Array", 1, 30 },
        { "- !user {id: a, annotations: {x: [1]}}\n", "Expected a string for field 'x', got Array", 1, 34 },
        { "- !policy {id: p, body: x}\n", "Expected a sequence for field 'body', got String", 1, 25 },
        { "- !grant {role: !group g, member: {role: !user a, admin: maybe}}\n", "Expected a boolean for field 'admin', got String", 1, 58 },
        { "- !user {id: a, restricted_to: 10.0.0.1/24}\n", "Invalid IP address or CIDR range '10.0.0.1/24': Value has bits set to right of mask. Did you mean '10.0.0.0/24'?", 1, 32 },
        { "- !host\n  id: a\n  restricted_to: [10.0.0.0/8, nonsense]\n", "Invalid IP address or CIDR range 'nonsense'", 3, 31 },
        { "- !host {id: a, restricted_to: '10.1'}\n", "Invalid IP address or CIDR range '10.1'", 1, 32 },
        { "- !host {id: a, restricted_to: 10.0.0.0/33}\n", "Invalid IP address or CIDR range '10.0.0.0/33'", 1, 32 },
        { "- !host {id: a, restricted_to: '::1'}\n", "Invalid IP address or CIDR range '::1': Address must be IPv4", 1, 32 },
        { "- &a !user x\n- &a !user y\n", "Duplicate anchor a", 2, 3 },
        { "- !user x\n- *nowhere\n", "Undefined alias *nowhere", 2, 3 },
        { "user: alice\n", "Unexpected mapping", 1, 1 },
        { "hello\n", "Unexpected scalar", 1, 1 },
        { "- !grant\n", "No such attribute 'id' on type Grant", 1, 3 },
        { "- !member {role: !user a}\n", "Unexpected Member in a list of statements", 1, 3 },
    };

    [Theory]
    [MemberData(nameof(StructuralErrors))]
    public void Reports_the_message_and_position(string text, string message, int line, int column)
    {
        var error = PolicyKit.ParseError(text);

        Assert.Equal(PolicyErrorCode.PolicyInvalid, error.Code);
        Assert.Equal(message, error.Detail);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.True(error.IsStructural);
        Assert.Equal($"Error at line {line}, column {column} in policy : {message}", error.Message);
    }

    [Theory]
    [InlineData("- !user {id: a\n", 2, 1)]
    [InlineData("- !user\n  id: a\n  b c\n", 3, 3)]
    [InlineData("- !user a\n- !user 'b\n", 2, 9)]
    public void Yaml_syntax_errors_carry_the_parser_text_without_a_location_prefix(string text, int line, int column)
    {
        var error = PolicyKit.ParseError(text);

        Assert.Equal(PolicyErrorCode.PolicyInvalid, error.Code);
        Assert.False(error.IsStructural);
        Assert.Equal(error.Detail, error.Message);
        Assert.False(string.IsNullOrWhiteSpace(error.Detail));
        Assert.Equal((line, column), (error.Line, error.Column));
    }

    [Theory]
    [InlineData("- !user\n\tid: a\n", 2)]
    [InlineData("- !user\n \tid: a\n", 2)]
    [InlineData("- !user a\n\t- !user b\n", 2)]
    public void Tabs_in_indentation_are_errors(string text, int line)
    {
        var error = PolicyKit.ParseError(text);

        Assert.Equal(PolicyErrorCode.PolicyInvalid, error.Code);
        Assert.Equal(line, error.Line);
    }

    [Fact]
    public void A_tab_inside_a_block_scalar_is_content()
    {
        var record = PolicyKit.Resolve("- !user\n  id: a\n  annotations:\n    a: |\n      x\n      \ty\n").Records[0];

        Assert.Equal("x\n\ty\n", record.Annotation("a"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n ")]
    [InlineData(null)]
    public void A_blank_body_is_not_present(string? text)
    {
        var result = PolicyParser.Parse(text);

        Assert.False(result.Succeeded);
        Assert.Equal(PolicyErrorCode.ValidationFailed, result.Error.Code);
        Assert.Equal("policy_text is not present", result.Error.Message);
        Assert.Equal("policy_text", result.Error.Target);
        Assert.Equal("is not present", result.Error.TargetMessage);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("# nothing here\n")]
    [InlineData("---\n[]\n")]
    public void An_empty_list_or_a_comment_only_body_is_a_valid_no_op(string text)
    {
        var result = PolicyParser.Parse(text);

        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(0, result.Value.StatementCount);
        Assert.True(PolicyKit.Plan(text).IsEmpty);
    }
}
