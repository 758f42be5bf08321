namespace Secrets.Server.Crypto;

/// <summary>
/// What each kind of sealed row is bound to (issue 8). Secret values: the account, the resource id and the version,
/// so a database writer can neither move a value to another variable or account nor roll a variable back by copying
/// an older version's ciphertext into the latest row. Host-factory tokens: the token hash, the factory, the expiry
/// and the CIDRs, so a row cannot be re-pointed at another factory, extended or widened. Format-1 rows were bound to
/// the resource id or token hash alone; they are still opened with that (until re-sealed at start-up).
/// </summary>
internal static class SealedRows
{
    public static byte[] SealSecret(this DataKeyCipher cipher, ReadOnlySpan<byte> value, string account, string resourceId, int version)
    {
        var aad = new AadBuffer(stackalloc byte[AadBuffer.StackSize]);
        SecretAad(ref aad, account, resourceId, version);
        var result = cipher.Seal(SealPurpose.SecretValue, value, aad.Written);
        aad.Dispose();
        return result;
    }

    /// <summary>The value of a secret version; throws <see cref="DataKeyMismatchException"/> (422) when it is not this row's.</summary>
    public static byte[] OpenSecret(this DataKeyCipher cipher, ReadOnlySpan<byte> envelope, string account, string resourceId, int version)
    {
        var aad = new AadBuffer(stackalloc byte[AadBuffer.StackSize]);
        SecretAad(ref aad, account, resourceId, version);
        var legacy = new AadBuffer(stackalloc byte[AadBuffer.StackSize]);
        legacy.Text(resourceId, lengthPrefixed: false);
        var opened = cipher.TryOpen(SealPurpose.SecretValue, envelope, aad.Written, legacy.Written, out var plain);
        aad.Dispose();
        legacy.Dispose();
        return opened ? plain : throw new DataKeyMismatchException();
    }

    public static byte[] SealHostFactoryToken(this DataKeyCipher cipher, string token, string tokenSha256, string factoryId, DateTime expiration, string cidr)
    {
        var aad = new AadBuffer(stackalloc byte[AadBuffer.StackSize]);
        TokenAad(ref aad, tokenSha256, factoryId, expiration, cidr);
        var result = cipher.Seal(SealPurpose.HostFactoryToken, System.Text.Encoding.UTF8.GetBytes(token), aad.Written);
        aad.Dispose();
        return result;
    }

    /// <summary>The token of a host-factory token row; throws <see cref="DataKeyMismatchException"/> (422) when it is not this row's.</summary>
    public static byte[] OpenHostFactoryToken(this DataKeyCipher cipher, ReadOnlySpan<byte> envelope, string tokenSha256, string factoryId, DateTime expiration, string cidr)
    {
        var aad = new AadBuffer(stackalloc byte[AadBuffer.StackSize]);
        TokenAad(ref aad, tokenSha256, factoryId, expiration, cidr);
        var legacy = new AadBuffer(stackalloc byte[AadBuffer.StackSize]);
        legacy.Text(tokenSha256, lengthPrefixed: false);
        var opened = cipher.TryOpen(SealPurpose.HostFactoryToken, envelope, aad.Written, legacy.Written, out var plain);
        aad.Dispose();
        legacy.Dispose();
        return opened ? plain : throw new DataKeyMismatchException();
    }

    /// <summary>
    /// The expiry as bound and stored: whole microseconds (what PostgreSQL keeps of a timestamp), so the value read back
    /// from either store binds exactly as the one sealed.
    /// </summary>
    public static DateTime StoredExpiration(DateTime expiration) =>
        new(expiration.Ticks - (expiration.Ticks % 10), DateTimeKind.Utc);

    private static void SecretAad(ref AadBuffer aad, string account, string resourceId, int version)
    {
        aad.Text(account);
        aad.Text(resourceId);
        aad.Number(version);
    }

    private static void TokenAad(ref AadBuffer aad, string tokenSha256, string factoryId, DateTime expiration, string cidr)
    {
        aad.Text(tokenSha256);
        aad.Text(factoryId);
        aad.Number(expiration.Ticks / 10);
        aad.Text(cidr);
    }
}
