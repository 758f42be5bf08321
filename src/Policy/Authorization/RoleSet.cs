using System.Collections.ObjectModel;

namespace Secrets.Policy.Authorization;

/// <summary>
/// The roles a role holds transitively, including itself (Conjur's <c>all_roles(role)</c>), as interned role
/// numbers. Immutable once built; cached per role by <see cref="AuthorizationSnapshot"/>.
/// </summary>
/// <remarks>
/// Most roles (hosts, users) hold a handful of roles, so a sorted array with a linear or binary search is the
/// cheapest test. A few roles hold almost everything (the account's <c>admin</c> owns every policy, which owns
/// every role inside it), so above <see cref="BitsetThreshold"/> members the set also keeps a bitset and answers
/// in O(1).
/// </remarks>
internal sealed class RoleSet
{
    /// <summary>Above this many members, membership is answered from a bitset.</summary>
    internal const int BitsetThreshold = 64;

    private const int LinearSearchLimit = 8;

    private readonly int[] _members;
    private readonly ulong[]? _bits;
    private ReadOnlyCollection<string>? _names;

    /// <param name="members">Role numbers in ascending order, without duplicates.</param>
    /// <param name="bits">A bitset of the same members, or <see langword="null"/> for small sets.</param>
    public RoleSet(int[] members, ulong[]? bits)
    {
        _members = members;
        _bits = bits;
    }

    /// <summary>The number of roles held.</summary>
    public int Count => _members.Length;

    /// <summary>The roles held, ascending (= ascending by role id, because ids are interned in sorted order).</summary>
    public ReadOnlySpan<int> Members => _members;

    /// <summary>Whether <paramref name="role"/> (a valid role number) is held.</summary>
    public bool Contains(int role)
    {
        if (_bits is { } bits)
        {
            return (bits[role >> 6] & (1UL << role)) != 0;
        }

        var members = _members;
        if (members.Length <= LinearSearchLimit)
        {
            foreach (var member in members)
            {
                if (member == role)
                {
                    return true;
                }
            }

            return false;
        }

        return members.AsSpan().BinarySearch(role) >= 0;
    }

    /// <summary>Whether any of <paramref name="sortedRoles"/> (ascending role numbers) is held.</summary>
    public bool IntersectsSorted(ReadOnlySpan<int> sortedRoles)
    {
        if (sortedRoles.IsEmpty)
        {
            return false;
        }

        // Probe from the shorter side: a variable permitted to thousands of hosts is checked by looking up the
        // caller's few roles in it, not by testing thousands of hosts against the caller.
        if (_bits is not null || sortedRoles.Length <= _members.Length)
        {
            foreach (var role in sortedRoles)
            {
                if (Contains(role))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var member in _members)
        {
            if (sortedRoles.BinarySearch(member) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The held role ids, ascending; built once and shared (the collection is read-only).</summary>
    public IReadOnlyList<string> Names(string[] roleIds)
    {
        var names = Volatile.Read(ref _names);
        if (names is not null)
        {
            return names;
        }

        var ids = new string[_members.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = roleIds[_members[i]];
        }

        var created = new ReadOnlyCollection<string>(ids);
        return Interlocked.CompareExchange(ref _names, created, null) ?? created;
    }
}
