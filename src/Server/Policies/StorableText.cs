using System.Text;
using Secrets.Policy.Language;

namespace Secrets.Server.Policies;

/// <summary>
/// What the policy language accepts but the database cannot store, rejected as policy_invalid (422) before anything
/// is written, so bad input is never a 500 (spec 9), and the same on SQLite as on PostgreSQL:
/// PostgreSQL text refuses U+0000 (a YAML double-quoted "\0" puts one into an id even when the body has none), and
/// a B-tree index entry holds at most about 2.7 kB, so the up to three key columns of a row (permissions: resource,
/// privilege, role) get <see cref="MaxKeyBytes"/> each.
/// </summary>
internal static class StorableText
{
    public const string NotUtf8 = "policy text is not valid UTF-8";

    /// <summary>libyaml's reader error for a non-printable character, which is what Conjur answers.</summary>
    public const string ControlCharacters = "control characters are not allowed";

    public const int MaxKeyBytes = 800;

    public static readonly string KeyTooLong =
        $"Ids, privileges and annotation names are limited to {MaxKeyBytes} bytes";

    public static bool HasNul(string value) => value.Contains('\0', StringComparison.Ordinal);

    public static PolicyError Error(string message) => new() { Code = PolicyErrorCode.PolicyInvalid, Detail = message };

    /// <summary>The error for the first inserted or updated value that cannot be stored; null when every value can.</summary>
    public static PolicyError? Check(PolicyPlan plan)
    {
        var rows = plan.Inserts;
        var updates = plan.Updates;
        var keys = rows.Roles.Select(x => x.RoleId)
            .Concat(rows.Resources.SelectMany(x => new[] { x.ResourceId, x.OwnerId }))
            .Concat(rows.Memberships.SelectMany(x => new[] { x.RoleId, x.MemberId }))
            .Concat(rows.Permissions.SelectMany(x => new[] { x.ResourceId, x.Privilege, x.RoleId }))
            .Concat(rows.Annotations.SelectMany(x => new[] { x.ResourceId, x.Name }))
            .Concat(updates.Resources.Select(x => x.After.OwnerId));
        var values = rows.Annotations.Select(x => x.Value).Concat(updates.Annotations.Select(x => x.After.Value));
        if (keys.Concat(values).Any(HasNul))
        {
            return Error(ControlCharacters);
        }

        // Cheap first: a string of n chars is at most 3n UTF-8 bytes.
        return keys.Any(k => k.Length * 3 > MaxKeyBytes && Encoding.UTF8.GetByteCount(k) > MaxKeyBytes) ? Error(KeyTooLong) : null;
    }
}
