using System.Diagnostics;
using System.Text;
using Secrets.Policy.Language;
using Xunit.Abstractions;

namespace Secrets.Policy.Tests.Language;

/// <summary>
/// The rows a text declares are counted on the parsed statements, without expanding anchors, and compared with a
/// cap relative to the text (issue 8, Medium 5): 50 rows per line, at least 10,000, at most the absolute cap.
/// </summary>
public class MeasuringDeclaredRows(ITestOutputHelper output)
{
    /// <summary>The anchor example: a !permit of 500 groups × 500 variables × 4 privileges.</summary>
    internal static string AnchorExample(int groups = 500, int variables = 500)
    {
        var text = new StringBuilder("- &groups\n");
        for (var i = 0; i < groups; i++)
        {
            text.Append("  - !group g").Append(i).Append('\n');
        }

        text.Append("- &variables\n");
        for (var i = 0; i < variables; i++)
        {
            text.Append("  - !variable v").Append(i).Append('\n');
        }

        text.Append("- !permit\n  role: *groups\n  privileges: [read, execute, update, create]\n  resource: *variables\n");
        return text.ToString();
    }

    private static PolicySize Measure(string text, PolicyPlanOptions? options = null)
    {
        var parsed = PolicyParser.Parse(text);
        Assert.True(parsed.Succeeded, parsed.Error?.Message);
        return PolicySize.Measure(parsed.Value, text, options);
    }

    [Fact]
    public void The_anchor_example_declares_a_million_rows_in_a_thousand_lines_and_is_over_its_cap()
    {
        var text = AnchorExample();
        var started = Stopwatch.GetTimestamp();

        var size = Measure(text);

        output.WriteLine($"{text.Length} bytes, measured in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F1} ms: {size}");
        Assert.Equal(500 * 500 * 4 + 1000 * 2, size.DeclaredRows);
        Assert.Equal(1006, size.Lines);
        Assert.Equal(50 * 1006, size.Cap);
        Assert.True(size.IsOverCap);
    }

    [Fact]
    public void An_honest_large_policy_declares_a_few_rows_per_line()
    {
        var text = LoadingALargePolicy.Generate();

        var size = Measure(text);

        output.WriteLine(size.ToString());
        Assert.False(size.IsOverCap);
        Assert.InRange(size.DeclaredRows, size.Lines, 5L * size.Lines);
    }

    [Fact]
    public void A_short_text_may_always_declare_ten_thousand_rows()
    {
        // 2,500 permission rows and 100 records in 56 lines: far over 50 per line, inside the minimum.
        var size = Measure(AnchorExample(groups: 25, variables: 25));

        Assert.Equal((25 * 25 * 4) + (50 * 2), size.DeclaredRows);
        Assert.Equal(PolicySize.MinimumCap, size.Cap);
        Assert.False(size.IsOverCap);
    }

    [Fact]
    public void The_absolute_cap_bounds_a_text_of_many_lines()
    {
        var text = string.Concat(Enumerable.Range(0, 300).Select(i => $"- !variable v{i}\n"));

        var size = Measure(text, new PolicyPlanOptions { MaxRows = 500 });

        Assert.Equal(600, size.DeclaredRows);
        Assert.Equal(500, size.Cap);
        Assert.True(size.IsOverCap);
    }

    [Fact]
    public void Blank_lines_and_comments_do_not_raise_the_cap()
    {
        var padded = AnchorExample() + string.Concat(Enumerable.Repeat("\n   \n# padding\n", 100_000));

        var size = Measure(padded);

        Assert.Equal(1006, size.Lines);
        Assert.True(size.IsOverCap);
    }

    [Fact]
    public void Records_count_their_annotations_credentials_and_restrictions()
    {
        var size = Measure("- !host {id: h, restricted_to: 10.0.0.0/8, annotations: {a: b, c: d}}\n- !variable v\n- !grant {role: !group g, members: [!host h, !user u]}\n- !deny {role: !host h, privilege: read, resource: !variable v}\n");

        // host: role, resource, 2 annotations, restriction, credential; variable: 2; grant: 2; deny: none.
        Assert.Equal(6 + 2 + 2, size.DeclaredRows);
    }
}
