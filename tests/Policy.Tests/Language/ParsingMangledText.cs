using Secrets.Policy.Language;

namespace Secrets.Policy.Tests.Language;

/// <summary>Whatever the body, the pipeline answers with a plan or a typed error, never an exception.</summary>
public class ParsingMangledText
{
    private const string Alphabet = " \t\n-!&*[]{},:'\"#|>?%@`~/.\\0a1";

    public static TheoryData<int> Seeds => new(Enumerable.Range(1, 30));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_edits_of_valid_policies_never_throw(int seed)
    {
        var random = new Random(seed);
        var original = new RandomPolicies(seed).Generate();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var text = original.ToCharArray().ToList();
            for (var edit = 0; edit < 1 + random.Next(4); edit++)
            {
                var at = random.Next(text.Count);
                switch (random.Next(3))
                {
                    case 0:
                        text.RemoveAt(at);
                        break;
                    case 1:
                        text.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                        break;
                    default:
                        text[at] = Alphabet[random.Next(Alphabet.Length)];
                        break;
                }
            }

            var mangled = new string([.. text]);
            var mode = (PolicyLoadMode)(attempt % 3);
            var result = PolicyKit.TryPlan(mangled, mode, PolicyKit.Bootstrap("app"), "app");
            Assert.True(result.Succeeded || !string.IsNullOrEmpty(result.Error.Message), mangled);
        }
    }

    [Fact]
    public void Deep_nesting_is_an_error_not_a_crash()
    {
        var text = new string('[', 5000) + new string(']', 5000);

        var error = PolicyKit.ParseError(text);

        Assert.Equal(PolicyErrorCode.PolicyInvalid, error.Code);
    }
}
