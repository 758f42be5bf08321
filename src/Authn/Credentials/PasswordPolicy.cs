namespace Secrets.Authn.Credentials;

/// <summary>Conjur's password complexity rule (spec 2.1, 9).</summary>
public static class PasswordPolicy
{
    /// <summary>
    /// Conjur's message for a password that fails the rule (the <c>validation_failed</c> 422, target
    /// <c>password</c>).
    /// </summary>
    public const string ComplexityMessage =
        "CONJ00046E The password you have chosen does not meet the complexity requirements. "
        + "Choose a password that includes: 12-128 characters, 2 uppercase letters, "
        + "2 lowercase letters, 1 digit and 1 special character";

    /// <summary>The characters that count as special: ASCII punctuation and the space.</summary>
    public const string SpecialCharacters = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>Fewest characters.</summary>
    public const int MinLength = 12;

    /// <summary>Most characters.</summary>
    public const int MaxLength = 128;

    /// <summary>
    /// Whether <paramref name="password"/> meets the rule: 12–128 characters, at least 2 uppercase and 2 lowercase
    /// ASCII letters, 1 ASCII digit and 1 special character, and no line break.
    /// </summary>
    /// <remarks>
    /// Mirrors Conjur's regular expression: letters and digits are ASCII classes (an "É" counts towards the length
    /// but not as uppercase), and the length counts characters (Unicode scalar values, as Ruby counts them), not
    /// UTF-16 units. Conjur's <c>.</c> excludes <c>\n</c>; we also refuse <c>\r</c>, which no one types on purpose.
    /// </remarks>
    public static bool IsCompliant(string? password)
    {
        if (password is null || password.AsSpan().ContainsAny('\n', '\r'))
        {
            return false;
        }

        int length = 0, upper = 0, lower = 0, digits = 0, special = 0;
        foreach (var rune in password.EnumerateRunes())
        {
            length++;
            var value = rune.Value;
            if (value is >= 'A' and <= 'Z')
            {
                upper++;
            }
            else if (value is >= 'a' and <= 'z')
            {
                lower++;
            }
            else if (value is >= '0' and <= '9')
            {
                digits++;
            }
            else if (value < 128 && SpecialCharacters.Contains((char)value, StringComparison.Ordinal))
            {
                special++;
            }
        }

        return length is >= MinLength and <= MaxLength && upper >= 2 && lower >= 2 && digits >= 1 && special >= 1;
    }

    /// <summary>
    /// Null when <paramref name="password"/> is compliant, otherwise <see cref="ComplexityMessage"/>.
    /// </summary>
    public static string? Validate(string? password) => IsCompliant(password) ? null : ComplexityMessage;
}
