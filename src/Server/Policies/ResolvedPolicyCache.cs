using Secrets.Policy.Language;
using Secrets.Server.Crypto;

namespace Secrets.Server.Policies;

/// <summary>
/// The parsed and resolved form of the last few policy texts, by their exact text, account, target policy and
/// owner: parsing is a pure function of those, and most reloads (CI jobs, GitOps loops) send the text they sent
/// last time. Only successes are kept; the plan is always computed again against the current rows. Bounded to a
/// few entries, because a large policy's resolved form takes tens of megabytes.
/// </summary>
internal sealed class ResolvedPolicyCache
{
    private const int Capacity = 4;
    private readonly LinkedList<(Key Key, ResolvedPolicy Policy)> _entries = new();
    private readonly Lock _lock = new();

    /// <summary>
    /// Parses and resolves, or returns the result of the same text parsed and resolved before. A text that declares
    /// more rows than its cap (<see cref="PolicySize"/>) is not resolved at all: <paramref name="overCap"/> says by
    /// how much, measured on the parsed statements before anything is expanded. <paramref name="textSha256"/> is the
    /// load's one digest of <paramref name="text"/> (<see cref="PolicyLoadRequest.TextSha256"/>).
    /// </summary>
    public PolicyResult<ResolvedPolicy>? ParseAndResolve(
        string text, string textSha256, string account, string identifier, string ownerId, PolicyPlanOptions options, out PolicySize? overCap)
    {
        overCap = null;
        var key = new Key(textSha256, text.Length, account, identifier, ownerId);
        lock (_lock)
        {
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                if (node.Value.Key == key)
                {
                    _entries.Remove(node);
                    _entries.AddFirst(node);
                    return PolicyResult.Success(node.Value.Policy);
                }
            }
        }

        var parsed = PolicyParser.Parse(text);
        if (!parsed.Succeeded)
        {
            return PolicyResult.Failure<ResolvedPolicy>(parsed.Error);
        }

        var size = PolicySize.Measure(parsed.Value, text, options);
        if (size.IsOverCap)
        {
            overCap = size;
            return null;
        }

        var resolved = PolicyResolver.Resolve(parsed.Value, account, identifier, ownerId);
        if (resolved.Succeeded)
        {
            lock (_lock)
            {
                _entries.AddFirst((key, resolved.Value));
                while (_entries.Count > Capacity)
                {
                    _entries.RemoveLast();
                }
            }
        }

        return resolved;
    }

    private sealed record Key(string Sha256, int Length, string Account, string Identifier, string OwnerId);
}
