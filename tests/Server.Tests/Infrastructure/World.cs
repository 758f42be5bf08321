namespace Secrets.Server.Tests.Infrastructure;

/// <summary>
/// A test's own corner of the account, reached through the front door as a Conjur user would: ids no other test of
/// the class uses (tests of one class share a database).
/// </summary>
internal static class World
{
    public const string Account = ServerFixture.Account;

    private static int _counter;

    /// <summary>An id no other test of the class uses: <paramref name="prefix"/>, a counter and a random suffix.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";
}
