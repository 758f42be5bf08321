using System.Security.Cryptography;
using Secrets.Server.Crypto;

namespace Secrets.Server.Tests.Crypto;

/// <summary>
/// The cipher is a singleton used by every request at once. AesGcm instances are not documented as thread-safe, and
/// the HTTP benchmark saw spurious data_key_invalid answers while one instance was shared (this test alone did not
/// reproduce that on this machine). Many threads must round-trip at once.
/// </summary>
public sealed class SharingTheCipherBetweenThreads
{
    [Fact]
    public async Task Concurrent_encryptions_and_decryptions_all_round_trip()
    {
        using var cipher = new DataKeyCipher(RandomNumberGenerator.GetBytes(32));
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                var aad = $"acct:variable:t{t}/v{i}";
                var plain = RandomNumberGenerator.GetBytes(1 + (i % 300));
                var sealedValue = cipher.Encrypt(plain, aad);
                if (!cipher.TryDecrypt(sealedValue, aad, out var back) || !back.AsSpan().SequenceEqual(plain))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })));
        Assert.Equal(0, failures);
    }
}
