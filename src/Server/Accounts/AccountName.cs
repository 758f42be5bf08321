namespace Secrets.Server.Accounts;

internal static class AccountName
{
    /// <summary>Spec 9: non-empty, no space, ':' or '/'. Control characters are refused too.</summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name)
        && name.Length <= 255
        && !name.Any(c => c is ' ' or ':' or '/' or '%' || char.IsControl(c) || char.IsWhiteSpace(c));
}
