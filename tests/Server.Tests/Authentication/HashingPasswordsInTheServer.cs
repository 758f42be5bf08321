using Microsoft.Extensions.DependencyInjection;
using Secrets.Authn.Credentials;
using Secrets.Server.Tests.Infrastructure;

namespace Secrets.Server.Tests.Authentication;

/// <summary>The one password hasher the server registers: Argon2id with OWASP's first configuration.</summary>
public sealed class HashingPasswordsInTheServer(SqliteServer f) : IClassFixture<SqliteServer>
{
    private const string Password = "Correct-Horse-42-battery";

    private PasswordHasher Hasher => f.Services.GetRequiredService<PasswordHasher>();

    [Fact]
    public void The_host_registers_the_one_hasher_start_up_and_the_admin_commands_use()
    {
        Assert.Same(f.Settings.PasswordHasher, Hasher);
        Assert.Same(Hasher, f.Services.GetRequiredService<PasswordHasher>());
    }

    [Fact]
    public void The_server_hashes_with_argon2id_19_MiB_2_passes_1_lane()
    {
        Assert.Equal(new Argon2Options { MemoryKib = 19456, Iterations = 2, Parallelism = 1, SaltLength = 16, HashLength = 32 }, Hasher.Options);
        Assert.Empty(Hasher.Options.Validate());
    }

    [Fact]
    public void A_hash_is_a_salted_phc_string_that_verifies_only_its_password()
    {
        var first = Hasher.Hash(Password);
        var second = Hasher.Hash(Password);

        Assert.Matches("^\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}$", first);
        Assert.NotEqual(first, second);
        Assert.True(Hasher.Verify(Password, first));
        Assert.True(Hasher.Verify(Password, second));
        Assert.False(Hasher.Verify(Password + " ", first));
        Assert.False(Hasher.Verify(Password, first.Replace("m=19456", "m=19457", StringComparison.Ordinal)));
    }
}
