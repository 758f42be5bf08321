using Secrets.Policy.Authorization;

namespace Secrets.Policy.Tests.Authorization;

/// <summary>A snapshot is shared by every request thread; the lazily cached held sets must be safe to race on.</summary>
public sealed class SharingSnapshotsBetweenThreads
{
    [Fact]
    public void Concurrent_first_use_gives_the_same_answers_as_sequential_use()
    {
        var (roles, resources, memberships, permissions) = HandlingALargeAccount.LargeAccount();
        var sequential = AuthorizationSnapshot.Build(roles, resources, memberships, permissions, 1);
        var shared = AuthorizationSnapshot.Build(roles, resources, memberships, permissions, 1);
        var roleIds = roles.Select(r => r.RoleId).Where((_, i) => i % 7 == 0).ToArray();
        var variable = "acct:variable:apps/app-003/secret-001";

        var expected = roleIds.ToDictionary(r => r, r => (sequential.AllRoles(r), sequential.IsAllowed(r, "execute", variable)));
        Parallel.For(0, Environment.ProcessorCount * 4, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, worker =>
        {
            // Each worker walks the roles from a different starting point, so first uses collide.
            for (var i = 0; i < roleIds.Length; i++)
            {
                var role = roleIds[(i + worker * 31) % roleIds.Length];
                var (held, allowed) = expected[role];
                Assert.Equal(held, shared.AllRoles(role));
                Assert.Equal(allowed, shared.IsAllowed(role, "execute", variable));
            }
        });
    }
}
