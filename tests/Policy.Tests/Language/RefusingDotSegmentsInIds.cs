namespace Secrets.Policy.Tests.Language;

/// <summary>
/// Issue 8 (medium 6): an id with a <c>.</c> or <c>..</c> segment is refused with its line and column; dots inside
/// a segment are ordinary characters.
/// </summary>
public sealed class RefusingDotSegmentsInIds
{
    [Theory]
    [InlineData("- !policy { id: ../prod }", "dev", "dev/../prod")]
    [InlineData("- !variable ./x", "dev", "dev/./x")]
    [InlineData("- !variable a/../b", "root", "a/../b")]
    [InlineData("- !variable a/.", "root", "a/.")]
    [InlineData("- !host ..", "root", "..")]
    [InlineData("- !role { kind: group, id: a/./b }", "root", "a/./b")]
    [InlineData("- !user ./alice", "root", "./alice")]
    public void A_declared_id_with_a_dot_segment_is_refused(string text, string branch, string id)
    {
        var error = PolicyKit.ResolveError(text, branch);

        Assert.Equal($"Invalid id: {id} ('.' and '..' may not be segments of an id)", error.Detail);
        Assert.Equal((1, 3), (error.Line, error.Column));
    }

    [Fact]
    public void The_error_points_at_the_record_on_its_own_line()
    {
        var error = PolicyKit.ResolveError("- !variable ok\n- !policy\n  id: app\n  body:\n    - !variable ../../x\n", "root");

        Assert.Equal((5, 7), (error.Line, error.Column));
    }

    [Theory]
    [InlineData("- !group g\n- !grant { role: !group ./g, member: !group g }")]
    [InlineData("- !group g\n- !permit { role: !group g, privilege: read, resource: !variable x/.. }")]
    [InlineData("- !group g\n- !grant { role: !group g, member: !group ./g }")]
    public void A_referenced_id_with_a_dot_segment_is_refused(string text)
    {
        var error = PolicyKit.ResolveError(text, "root");

        Assert.Contains("may not be segments of an id", error.Detail, StringComparison.Ordinal);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Dots_inside_segments_and_resolved_relative_references_are_fine()
    {
        var policy = PolicyKit.Resolve(
            "- !group ops\n- !variable db.password\n- !host app.example.com\n- !variable { id: ...x, owner: !group ../ops }\n- !variable .hidden/v..2",
            "dev");

        Assert.Equal(
            ["acct:group:dev/ops", "acct:variable:dev/db.password", "acct:host:dev/app.example.com", "acct:variable:dev/...x", "acct:variable:dev/.hidden/v..2"],
            policy.Records.Select(r => r.FullId));
        Assert.Equal("acct:group:ops", policy.Records[3].OwnerId);
    }
}
