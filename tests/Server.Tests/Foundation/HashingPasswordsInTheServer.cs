using Secrets.Authn.Credentials;

namespace Secrets.Server.Tests.Foundation;

/// <summary>The one password hasher the server registers: Argon2id with OWASP's first configuration.</summary>
public sealed class HashingPasswordsInTheServer
{
    private const string Password = "Correct-Horse-42-battery";

    [Fact]
    public void The_server_hashes_with_argon2id_19_MiB_2_passes_1_lane()
    {
        Assert.Equal(new Argon2Options { MemoryKib = 19456, Iterations = 2, Parallelism = 1, SaltLength = 16, HashLength = 32 }, Passwords.Hasher.Options);
        Assert.Empty(Passwords.Hasher.Options.Validate());
    }

    [Fact]
    public void A_hash_is_a_salted_phc_string_that_verifies_only_its_password()
    {
        var first = Passwords.Hasher.Hash(Password);
        var second = Passwords.Hasher.Hash(Password);

        Assert.Matches("^\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}$", first);
        Assert.NotEqual(first, second);
        Assert.True(Passwords.Hasher.Verify(Password, first));
        Assert.True(Passwords.Hasher.Verify(Password, second));
        Assert.False(Passwords.Hasher.Verify(Password + " ", first));
        Assert.False(Passwords.Hasher.Verify(Password, first.Replace("m=19456", "m=19457", StringComparison.Ordinal)));
    }
}
