using System.Text;
using Secrets.Authn.Wire;

namespace Secrets.Authn.Tests.Wire;

public sealed class NegotiatingBase64Bodies
{
    [Theory]
    [InlineData("base64", true)]
    [InlineData("BASE64", true)]
    [InlineData("gzip, bASe64 ,br", true)]
    [InlineData("gzip,base64", true)]
    [InlineData("  base64  ", true)]
    [InlineData("gzip, , base64", true)]
    [InlineData("base64;q=1", true)]
    [InlineData("base64 ; q=0.5", true)]
    [InlineData("gzip, base64;q=0", false)]
    [InlineData("base64;q=0.000", false)]
    [InlineData("gzip, deflate, br", false)]
    [InlineData("base64x", false)]
    [InlineData("xbase64", false)]
    [InlineData("base 64", false)]
    [InlineData("*", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Authenticate_looks_for_base64_anywhere_in_the_list(string? header, bool expected)
    {
        Assert.Equal(expected, AcceptEncoding.ListsBase64(header));
    }

    [Theory]
    [InlineData("base64", true)]
    [InlineData("Base64", true)]
    [InlineData("  BASE64 ", true)]
    [InlineData("gzip, base64", false)]
    [InlineData("base64, gzip", false)]
    [InlineData("base64;q=1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Batch_secrets_want_the_whole_header_to_be_base64(string? header, bool expected)
    {
        Assert.Equal(expected, AcceptEncoding.IsExactlyBase64(header));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("a", "YQ==\n")]
    [InlineData("abc", "YWJj\n")]
    public void Ruby_encode64_ends_every_line_with_a_newline(string input, string expected)
    {
        Assert.Equal(expected, RubyBase64.Encode64(Encoding.UTF8.GetBytes(input)));
    }

    [Fact]
    public void Ruby_encode64_wraps_at_60_characters()
    {
        var bytes = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();

        var encoded = RubyBase64.Encode64(bytes);

        Assert.Equal(
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKiss\n"
            + "LS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZ\n"
            + "WltcXV5fYGFiYw==\n",
            encoded);
        Assert.Equal(bytes, Convert.FromBase64String(encoded));
    }

    [Fact]
    public void Ruby_encode64_of_exactly_45_bytes_is_one_line()
    {
        var encoded = RubyBase64.Encode64(new byte[45]);

        Assert.Equal(new string('A', 60) + "\n", encoded);
    }
}
