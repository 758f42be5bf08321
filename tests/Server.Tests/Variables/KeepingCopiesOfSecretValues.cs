using Secrets.Server.Authorization;
using Secrets.Server.Configuration;
using Secrets.Server.Data;
using Secrets.Server.Variables;

namespace Secrets.Server.Tests.Variables;

/// <summary>
/// The rules of the PostgreSQL nodes' copy of latest secret values (SecretValueCache), on the class itself: the
/// cross-node behaviour is in Policies/SharingOneDatabaseBetweenNodes. The version source is a real one over a SQLite
/// file; its listener state is set by hand, as the PostgreSQL listener sets it.
/// </summary>
public sealed class KeepingCopiesOfSecretValues : IAsyncLifetime
{
    private const string Id = "acct:variable:db/password";
    private static readonly StoredSecret Old = new(1, [1, 2, 3], null);
    private static readonly StoredSecret New = new(2, [4, 5, 6], "application/json");
    private readonly string _dir = Directory.CreateTempSubdirectory("secrets-values-").FullName;
    private HotReads _reads = null!;
    private AuthorizationVersions _versions = null!;
    private SecretValueCache _cache = null!;

    public Task InitializeAsync()
    {
        _reads = HotReads.Create(new DatabaseTarget(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(_dir, "x.db")}"));
        _versions = new AuthorizationVersions(_reads);
        _versions.SetLive(true);
        _cache = new SecretValueCache(_versions);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _reads.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public void A_kept_value_is_served_for_the_same_authorization_version_only()
    {
        _cache.Keep(Id, 7, Old, _cache.Generation);

        Assert.True(_cache.TryGet(Id, 7, out var hit));
        Assert.Same(Old, hit);
        Assert.False(_cache.TryGet(Id, 8, out _));
    }

    [Fact]
    public void A_write_drops_the_copy()
    {
        _cache.Keep(Id, 7, Old, _cache.Generation);

        _cache.Invalidate(Id);

        Assert.False(_cache.TryGet(Id, 7, out _));
    }

    [Fact]
    public void A_read_that_started_before_a_write_is_not_kept()
    {
        var generation = _cache.Generation;
        _cache.Invalidate(Id);

        _cache.Keep(Id, 7, Old, generation);

        Assert.False(_cache.TryGet(Id, 7, out _));
        _cache.Keep(Id, 7, New, _cache.Generation);
        Assert.True(_cache.TryGet(Id, 7, out var hit));
        Assert.Same(New, hit);
    }

    [Fact]
    public void Nothing_is_kept_or_served_while_the_listener_is_down()
    {
        _cache.Keep(Id, 7, Old, _cache.Generation);

        _versions.SetLive(false);

        Assert.False(_cache.TryGet(Id, 7, out _));
        _cache.Keep(Id, 7, New, _cache.Generation);
        _versions.SetLive(true);
        Assert.True(_cache.TryGet(Id, 7, out var hit));
        Assert.Same(Old, hit);

        // Which is why the listener clears the copies whenever it connects or disconnects.
        _cache.Clear();
        Assert.False(_cache.TryGet(Id, 7, out _));
    }

    [Fact]
    public void Large_values_are_not_kept()
    {
        _cache.Keep(Id, 7, new StoredSecret(1, new byte[(64 * 1024) + 1], null), _cache.Generation);

        Assert.False(_cache.TryGet(Id, 7, out _));
    }
}
