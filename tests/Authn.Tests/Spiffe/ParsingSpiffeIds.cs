using Secrets.Authn.Spiffe;

namespace Secrets.Authn.Tests.Spiffe;

public sealed class ParsingSpiffeIds
{
    [Theory]
    [InlineData("spiffe://example.org", "example.org", "")]
    [InlineData("spiffe://example.org/ns/prod/sa/web", "example.org", "/ns/prod/sa/web")]
    [InlineData("spiffe://example.org/Mixed.Case-_/A", "example.org", "/Mixed.Case-_/A")]
    [InlineData("spiffe://my_trust-domain.0/a", "my_trust-domain.0", "/a")]
    [InlineData("spiffe://192.168.1.1/a", "192.168.1.1", "/a")]
    [InlineData("spiffe://td/.path/..path/...", "td", "/.path/..path/...")]
    public void Valid_ids_parse_into_trust_domain_and_path(string text, string trustDomain, string path)
    {
        Assert.True(SpiffeId.TryParse(text, out var id, out var error));
        Assert.Equal(SpiffeIdError.None, error);
        Assert.Equal(trustDomain, id.TrustDomain);
        Assert.Equal(path, id.Path);
        Assert.Equal(text, id.ToString());
        Assert.Equal(path.Length > 0, id.HasPath);
    }

    [Theory]
    [InlineData("", SpiffeIdError.Empty)]
    [InlineData("SPIFFE://td/a", SpiffeIdError.Scheme)]
    [InlineData("Spiffe://td/a", SpiffeIdError.Scheme)]
    [InlineData("https://td/a", SpiffeIdError.Scheme)]
    [InlineData("spiffe:/td/a", SpiffeIdError.Scheme)]
    [InlineData("td/a", SpiffeIdError.Scheme)]
    [InlineData("spiffe:///a", SpiffeIdError.TrustDomainMissing)]
    [InlineData("spiffe://", SpiffeIdError.TrustDomainMissing)]
    [InlineData("spiffe://Example.org/a", SpiffeIdError.TrustDomainCharacters)]
    [InlineData("spiffe://td:8080/a", SpiffeIdError.TrustDomainCharacters)]
    [InlineData("spiffe://u@td/a", SpiffeIdError.TrustDomainCharacters)]
    [InlineData("spiffe://u:p@td/a", SpiffeIdError.TrustDomainCharacters)]
    [InlineData("spiffe://t$d/a", SpiffeIdError.TrustDomainCharacters)]
    [InlineData("spiffe://t%41d/a", SpiffeIdError.TrustDomainCharacters)]
    [InlineData("spiffe://[::1]/a", SpiffeIdError.TrustDomainCharacters)]
    [InlineData("spiffe://td?x=1", SpiffeIdError.TrustDomainCharacters)]
    [InlineData("spiffe://td#f", SpiffeIdError.TrustDomainCharacters)]
    [InlineData("spiffe://td/a?x=1", SpiffeIdError.PathCharacters)]
    [InlineData("spiffe://td/a#f", SpiffeIdError.PathCharacters)]
    [InlineData("spiffe://td/%41", SpiffeIdError.PathCharacters)]
    [InlineData("spiffe://td/a%2Fb", SpiffeIdError.PathCharacters)]
    [InlineData("spiffe://td/a!b", SpiffeIdError.PathCharacters)]
    [InlineData("spiffe://td/a b", SpiffeIdError.PathCharacters)]
    [InlineData("spiffe://td/é", SpiffeIdError.PathCharacters)]
    [InlineData("spiffe://td/a//b", SpiffeIdError.EmptySegment)]
    [InlineData("spiffe://td//a", SpiffeIdError.EmptySegment)]
    [InlineData("spiffe://td/a/./b", SpiffeIdError.DotSegment)]
    [InlineData("spiffe://td/a/../b", SpiffeIdError.DotSegment)]
    [InlineData("spiffe://td/..", SpiffeIdError.DotSegment)]
    [InlineData("spiffe://td/.", SpiffeIdError.DotSegment)]
    [InlineData("spiffe://td/a/", SpiffeIdError.TrailingSlash)]
    [InlineData("spiffe://td/", SpiffeIdError.TrailingSlash)]
    public void Invalid_ids_are_refused_with_their_rule(string text, SpiffeIdError expected)
    {
        Assert.False(SpiffeId.TryParse(text, out var id, out var error));
        Assert.Null(id);
        Assert.Equal(expected, error);
        Assert.Throws<FormatException>(() => SpiffeId.Parse(text));
    }

    [Fact]
    public void Every_byte_outside_the_charsets_is_refused_in_the_trust_domain_and_the_path()
    {
        for (var c = 0; c < 256; c++)
        {
            var ch = (char)c;
            var inTrustDomain = ch is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_';
            var inPath = inTrustDomain || ch is >= 'A' and <= 'Z';
            if (ch != '/')
            {
                Assert.Equal(inTrustDomain, SpiffeId.TryParse($"spiffe://t{ch}d/a", out _, out _));
            }

            if (ch is not '/' and not '.')
            {
                Assert.Equal(inPath, SpiffeId.TryParse($"spiffe://td/a{ch}b", out _, out _));
            }
        }
    }

    [Fact]
    public void Length_is_capped_at_2048_bytes_and_the_trust_domain_at_255()
    {
        var prefix = "spiffe://td/";
        var longest = prefix + new string('a', SpiffeId.MaxLength - prefix.Length);
        Assert.True(SpiffeId.TryParse(longest, out _, out _));
        Assert.False(SpiffeId.TryParse(longest + "a", out _, out var error));
        Assert.Equal(SpiffeIdError.TooLong, error);

        Assert.True(SpiffeId.TryParse("spiffe://" + new string('t', 255) + "/a", out _, out _));
        Assert.False(SpiffeId.TryParse("spiffe://" + new string('t', 256) + "/a", out _, out error));
        Assert.Equal(SpiffeIdError.TrustDomainTooLong, error);
    }

    [Fact]
    public void Equality_is_ordinal_and_the_path_is_case_sensitive()
    {
        Assert.Equal(SpiffeId.Parse("spiffe://td/a"), SpiffeId.Parse("spiffe://td/a"));
        Assert.NotEqual(SpiffeId.Parse("spiffe://td/a"), SpiffeId.Parse("spiffe://td/A"));
        Assert.Equal(["ns", "prod"], SpiffeId.Parse("spiffe://td/ns/prod").Segments);
    }
}
