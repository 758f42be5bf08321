namespace Secrets.Server.Http;

/// <summary>Role ids from the `role` query parameter: `kind:id` or `account:kind:id`.</summary>
internal static class RoleParams
{
    public static string? FromParam(string account, string role)
    {
        var parts = role.Split(':', 3);
        return parts.Length switch
        {
            2 when parts[0].Length > 0 && parts[1].Length > 0 => $"{account}:{parts[0]}:{parts[1]}",
            3 when parts.All(p => p.Length > 0) => role,
            _ => null,
        };
    }
}
