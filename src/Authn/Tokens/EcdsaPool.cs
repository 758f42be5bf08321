using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Secrets.Authn.Tokens;

/// <summary>
/// A small pool of <see cref="ECDsa"/> instances built from one set of key parameters.
/// </summary>
/// <remarks>
/// .NET does not guarantee that an <see cref="ECDsa"/> instance may sign or verify on several threads at once
/// ("The OS doesn't guarantee it, so .NET doesn't guarantee it", dotnet/runtime maintainers), and every request
/// carrying an access token verifies one. Re-importing the key per call would be safe but costs about as much as
/// the verification itself (measured on this machine: 178 µs verify, 256–337 µs import + verify), so each caller
/// rents an instance of its own and hands it back. Instances above <see cref="MaxIdle"/> are disposed.
/// </remarks>
internal sealed class EcdsaPool
{
    private static readonly int MaxIdle = Math.Max(2, Environment.ProcessorCount * 2);

    private readonly ECParameters _parameters;
    private readonly ConcurrentQueue<ECDsa> _idle = new();
    private int _idleCount;
    private volatile bool _disposed;

    public EcdsaPool(ECParameters parameters) => _parameters = parameters;

    public byte[] SignData(ReadOnlySpan<byte> data)
    {
        var ecdsa = Rent();
        try
        {
            return ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        finally
        {
            Return(ecdsa);
        }
    }

    public bool VerifyData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var ecdsa = Rent();
        try
        {
            return ecdsa.VerifyData(
                data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        finally
        {
            Return(ecdsa);
        }
    }

    public byte[] ExportPkcs8PrivateKey()
    {
        var ecdsa = Rent();
        try
        {
            return ecdsa.ExportPkcs8PrivateKey();
        }
        finally
        {
            Return(ecdsa);
        }
    }

    /// <summary>
    /// Disposes the idle instances and clears the private scalar; the pool is unusable afterwards. Not
    /// <see cref="IDisposable"/>: public-key pools are left to the finalizers (see <see cref="TokenVerificationKey"/>).
    /// </summary>
    public void Clear()
    {
        _disposed = true;
        while (_idle.TryDequeue(out var ecdsa))
        {
            ecdsa.Dispose();
        }

        // The private scalar is the only secret here; clear our copy of it.
        if (_parameters.D is { } d)
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    private ECDsa Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryDequeue(out var ecdsa))
        {
            Interlocked.Decrement(ref _idleCount);
            return ecdsa;
        }

        return ECDsa.Create(_parameters);
    }

    private void Return(ECDsa ecdsa)
    {
        if (!_disposed && Interlocked.Increment(ref _idleCount) <= MaxIdle)
        {
            _idle.Enqueue(ecdsa);
            return;
        }

        Interlocked.Decrement(ref _idleCount);
        ecdsa.Dispose();
    }
}
