using System.Diagnostics;
using System.Text.RegularExpressions;
using Secrets.Authn.Credentials;

namespace Secrets.Authn.Tests.Credentials;

public sealed class HashingPasswords
{
    // Cheap parameters so the suite stays fast; the defaults are exercised once below.
    private static readonly Argon2Options Cheap = new() { MemoryKib = Argon2Options.MinMemoryKib, Iterations = 1, Parallelism = 1 };

    private readonly PasswordHasher _hasher = new(Cheap);

    [Fact]
    public void A_hash_is_a_phc_string_with_the_configured_parameters()
    {
        var hash = _hasher.Hash("correct horse battery staple");

        var match = Regex.Match(hash, "^\\$argon2id\\$v=19\\$m=8192,t=1,p=1\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)$");
        Assert.True(match.Success, hash);
        Assert.Equal(16, Convert.FromBase64String(match.Groups[1].Value + "==").Length);
        Assert.Equal(32, Convert.FromBase64String(match.Groups[2].Value + "=").Length);
    }

    [Fact]
    public void The_right_password_verifies_and_a_wrong_one_does_not()
    {
        var hash = _hasher.Hash("correct horse battery staple");

        Assert.True(_hasher.Verify("correct horse battery staple", hash));
        Assert.False(_hasher.Verify("correct horse battery stapl", hash));
        Assert.False(_hasher.Verify("Correct horse battery staple", hash));
        Assert.False(_hasher.Verify(string.Empty, hash));
    }

    [Fact]
    public void The_same_password_hashes_differently_each_time()
    {
        Assert.NotEqual(_hasher.Hash("same password"), _hasher.Hash("same password"));
    }

    [Fact]
    public void Non_ascii_passwords_are_hashed_as_utf8()
    {
        var hash = _hasher.Hash("pässwörd Ünïcode €");

        Assert.True(_hasher.Verify("pässwörd Ünïcode €", hash));
        Assert.False(_hasher.Verify("passwort Unicode E", hash));
    }

    // Produced by the reference implementation (libargon2 1.3, argon2id_hash_encoded) with fixed salts, so a
    // successful verification proves the parameters are read from the string and the encoding matches.
    [Theory]
    [InlineData("correct horse battery staple", "$argon2id$v=19$m=4096,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("correct horse battery staple", "$argon2id$v=19$m=8192,t=2,p=2$MDEyMzQ1Njc4OWFiY2RlZg$Lfz83byharzEIwclGubPCAc+3Z3N+99q5KhR9BlAkZc")]
    [InlineData("pässwörd Ünïcode €", "$argon2id$v=19$m=1024,t=1,p=4$ZmVkY2JhOTg3NjU0MzIxMA$v3FtALrQk8DcUAmZuQSbA7wclx0VXcPioV1esPoptcw")]
    public void Hashes_from_the_reference_implementation_verify_with_their_own_parameters(string password, string hash)
    {
        Assert.True(_hasher.Verify(password, hash));
        Assert.False(_hasher.Verify(password + "x", hash));
        Assert.True(_hasher.NeedsRehash(hash));
    }

    [Fact]
    public void Parameters_are_parsed_from_the_string()
    {
        Assert.True(PasswordHashString.TryParse(
            "$argon2id$v=19$m=8192,t=2,p=2$MDEyMzQ1Njc4OWFiY2RlZg$Lfz83byharzEIwclGubPCAc+3Z3N+99q5KhR9BlAkZc", out var parsed));

        Assert.Equal((8192, 2, 2, 16, 32), (parsed.MemoryKib, parsed.Iterations, parsed.Parallelism, parsed.Salt.Length, parsed.Hash.Length));
        Assert.Equal("0123456789abcdef"u8.ToArray(), parsed.Salt);
    }

    [Theory]
    [InlineData("")]
    [InlineData("$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW")]
    [InlineData("$argon2i$v=19$m=4096,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$v=16$m=4096,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$m=4096,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$v=19$t=3,m=4096,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$v=19$m=04096,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$v=19$m=4096,t=0,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$v=19$m=4,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$v=19$m=4194304,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$v=19$m=4096,t=1000,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$v=19$m=4096,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg==$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$v=19$m=4096,t=3,p=1$MDEy$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    [InlineData("$argon2id$v=19$m=4096,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE")]
    [InlineData("$argon2id$v=19$m=4096,t=3,p=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc$")]
    [InlineData("$argon2id$v=19$m=4096,t=3,p=1,k=1$MDEyMzQ1Njc4OWFiY2RlZg$L4GG97BxMlE+u3mgGDPLh1+u5UMvLCHQCTxwICszmDc")]
    public void A_hash_that_is_not_a_bounded_argon2id_phc_string_never_matches(string hash)
    {
        Assert.False(PasswordHashString.TryParse(hash, out _));
        Assert.False(_hasher.Verify("correct horse battery staple", hash));
        Assert.True(_hasher.NeedsRehash(hash));
    }

    [Fact]
    public void A_hash_with_the_current_parameters_needs_no_rehash()
    {
        Assert.False(_hasher.NeedsRehash(_hasher.Hash("x")));
        Assert.True(new PasswordHasher(Cheap with { Iterations = 2 }).NeedsRehash(_hasher.Hash("x")));
    }

    [Fact]
    public void The_dummy_verification_uses_the_current_parameters_and_accepts_nothing()
    {
        _hasher.VerifyDummy("anything");

        Assert.True(PasswordHashString.TryParse(_hasher.DummyHash, out var dummy));
        Assert.Equal((Cheap.MemoryKib, Cheap.Iterations, Cheap.Parallelism), (dummy.MemoryKib, dummy.Iterations, dummy.Parallelism));
        Assert.False(_hasher.NeedsRehash(_hasher.DummyHash));
    }

    [Fact]
    public void The_dummy_verification_costs_about_as_much_as_a_real_one()
    {
        var hasher = new PasswordHasher(Cheap with { Iterations = 3 });
        var hash = hasher.Hash("password");
        hasher.VerifyDummy("warm-up");

        // Interleaved so that a burst of load on the machine hits both series alike.
        var real = new List<TimeSpan>();
        var dummy = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            real.Add(Time(() => hasher.Verify("wrong password", hash)));
            dummy.Add(Time(() => hasher.VerifyDummy("wrong password")));
        }

        // Loose bound: the suite runs in parallel on two cores, so only an order-of-magnitude gap would be a bug
        // (a missing dummy path answers in microseconds).
        Assert.True(Median(dummy) > Median(real) / 4, $"dummy {Median(dummy).TotalMilliseconds} ms vs real {Median(real).TotalMilliseconds} ms");
    }

    [Fact]
    public void The_default_options_are_valid_and_verify()
    {
        var options = new Argon2Options();
        var hasher = new PasswordHasher(options);

        var hash = hasher.Hash("Correct-Horse-1");

        Assert.Empty(options.Validate());
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", hash, StringComparison.Ordinal);
        Assert.True(hasher.Verify("Correct-Horse-1", hash));
    }

    [Fact]
    public void Out_of_range_options_are_reported_and_refused()
    {
        var bad = new Argon2Options { MemoryKib = 1024, Iterations = 0, Parallelism = 64, SaltLength = 8, HashLength = 8 };

        Assert.Equal(5, bad.Validate().Count);
        Assert.Throws<ArgumentException>(() => new PasswordHasher(bad));
    }

    private static TimeSpan Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed;
    }

    private static TimeSpan Median(List<TimeSpan> samples) => samples.Order().ElementAt(samples.Count / 2);
}
