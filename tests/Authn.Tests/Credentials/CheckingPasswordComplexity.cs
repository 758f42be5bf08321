using Secrets.Authn.Credentials;

namespace Secrets.Authn.Tests.Credentials;

public sealed class CheckingPasswordComplexity
{
    [Theory]
    [InlineData("AnyOld3XYZ$%^Pass")] // Conjur's own test password
    [InlineData("Different3$%^Pass")]
    [InlineData("My-Password1")] // exactly 12, from Conjur's cucumber feature
    [InlineData("ABcd1 efghij")] // space is special
    [InlineData("ABcd1\"efghij")]
    [InlineData("ABcd1\\efghij")]
    [InlineData("ABcd1`efghij")]
    [InlineData("ABcd1~efghij")]
    [InlineData("ABcd1{efghij")]
    [InlineData("ABcd1\tefghi!")] // a tab is neither special nor forbidden
    [InlineData("ABcd1!ééééééé")] // non-ASCII letters count towards the length
    public void A_compliant_password_passes(string password)
    {
        Assert.True(PasswordPolicy.IsCompliant(password));
        Assert.Null(PasswordPolicy.Validate(password));
    }

    [Theory]
    [InlineData("My-Passwor1")] // 11 characters
    [InlineData("my-password1")] // no uppercase
    [InlineData("My-password1")] // one uppercase
    [InlineData("MY-PASSWORD1")] // no lowercase
    [InlineData("MY-PASSWORd1")] // one lowercase
    [InlineData("My-PassWord-")] // no digit
    [InlineData("MyPassWord12")] // no special
    [InlineData("ÉÉcd1!efghij")] // É is not an ASCII uppercase letter
    [InlineData("ABcd1!efgh\nij")] // newline
    [InlineData("ABcd1!efgh\rij")]
    [InlineData("")]
    [InlineData(null)]
    public void A_password_missing_a_requirement_fails_with_conj00046e(string? password)
    {
        Assert.False(PasswordPolicy.IsCompliant(password));
        Assert.Equal(
            "CONJ00046E The password you have chosen does not meet the complexity requirements. Choose a password that includes: 12-128 characters, 2 uppercase letters, 2 lowercase letters, 1 digit and 1 special character",
            PasswordPolicy.Validate(password));
    }

    [Fact]
    public void The_length_limit_is_128_characters()
    {
        var prefix = "ABcd1!";

        Assert.True(PasswordPolicy.IsCompliant(prefix + new string('x', 122)));
        Assert.False(PasswordPolicy.IsCompliant(prefix + new string('x', 123)));
    }

    [Fact]
    public void Length_counts_characters_not_utf16_units()
    {
        // 122 emoji are 244 UTF-16 units but 122 characters.
        var emoji = string.Concat(Enumerable.Repeat("😀", 122));

        Assert.True(PasswordPolicy.IsCompliant("ABcd1!" + emoji));
        Assert.False(PasswordPolicy.IsCompliant("ABcd1!" + emoji + "😀"));
    }
}
