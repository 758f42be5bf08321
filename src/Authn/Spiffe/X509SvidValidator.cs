using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Secrets.Authn.Spiffe;

/// <summary>Which side of a TLS connection an X.509-SVID authenticates, for the extended key usage check.</summary>
public enum SvidRole
{
    /// <summary>A client certificate (mTLS login): an EKU, when present, must include clientAuth.</summary>
    Client,

    /// <summary>A server certificate (an <c>https_spiffe</c> bundle endpoint): an EKU, when present, must include serverAuth.</summary>
    Server,
}

/// <summary>A validated X.509-SVID peer: what the TLS layer stores as a connection feature.</summary>
/// <param name="Id">The SPIFFE ID of the leaf's single URI SAN.</param>
/// <param name="NotAfter">The leaf's expiry: an issued access token must not outlive it.</param>
/// <param name="Thumbprint">The lower-case hex SHA-256 of the leaf's DER, for the audit record.</param>
public sealed record SpiffePeer(SpiffeId Id, DateTimeOffset NotAfter, string Thumbprint);

/// <summary>The outcome of an X.509-SVID validation.</summary>
/// <param name="Failure">Why the certificate was refused; <see cref="SvidFailure.None"/> on success.</param>
/// <param name="Peer">The peer on success.</param>
/// <param name="ClaimedId">The SPIFFE ID as written in the leaf, when it parsed (for the audit; unverified on failure).</param>
public sealed record X509SvidResult(SvidFailure Failure, SpiffePeer? Peer, SpiffeId? ClaimedId)
{
    /// <summary>True when <see cref="Peer"/> is set.</summary>
    public bool Succeeded => Failure == SvidFailure.None;
}

/// <summary>
/// Validates an X.509-SVID and its chain (X509-SVID.md §4–5; workload-identity.md 3.5 and 3.7):
/// <list type="number">
/// <item>exactly one URI SAN, a SPIFFE ID with a path;</item>
/// <item>the leaf is not a CA (basic constraints), its key usage is present with <c>digitalSignature</c> and without
/// <c>keyCertSign</c>/<c>cRLSign</c>; an EKU, when present, includes the role's purpose;</item>
/// <item><c>notBefore</c> ≤ now &lt; <c>notAfter</c> on the injected clock;</item>
/// <item>the chain is built per call with <see cref="X509ChainTrustMode.CustomRootTrust"/> whose only roots are the
/// X.509 authorities of the trust domain <b>named in the leaf</b>; the peer's intermediates go into the extra store,
/// for path building only, so they can never act as roots; no revocation and no downloads (SVIDs carry no CDP);</item>
/// <item>every certificate above the leaf must be a CA with <c>keyCertSign</c>, and the chain is at most
/// <see cref="MaxChainLength"/> long.</item>
/// </list>
/// The synchronous <c>Validate</c> overloads use each source's <see cref="ISpiffeBundleSource.Current"/> bundle, for
/// Kestrel's certificate callback; <see cref="ValidateAsync"/> refreshes a due bundle first.
/// </summary>
public sealed class X509SvidValidator
{
    /// <summary>The longest chain accepted, leaf and root included.</summary>
    public const int MaxChainLength = 8;

    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    private readonly TimeProvider _time;

    /// <summary>Creates a validator reading the time from <paramref name="timeProvider"/>.</summary>
    public X509SvidValidator(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _time = timeProvider;
    }

    /// <summary>Validates with the bundles held now (no I/O).</summary>
    public X509SvidResult Validate(X509Certificate2 leaf, IEnumerable<X509Certificate2>? intermediates, SpiffeTrustDomains trustDomains, SvidRole role = SvidRole.Client)
    {
        ArgumentNullException.ThrowIfNull(trustDomains);
        return Validate(leaf, intermediates, td => trustDomains.Find(td) is { } source ? (true, source.Current) : (false, null), role);
    }

    /// <summary>Validates after refreshing the bundle of the leaf's trust domain when it is due.</summary>
    public async ValueTask<X509SvidResult> ValidateAsync(X509Certificate2 leaf, IEnumerable<X509Certificate2>? intermediates, SpiffeTrustDomains trustDomains, CancellationToken cancellationToken, SvidRole role = SvidRole.Client)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(trustDomains);
        var (failure, id) = CheckLeaf(leaf, role);
        if (failure != SvidFailure.None)
        {
            return new X509SvidResult(failure, null, id);
        }

        var source = trustDomains.Find(id!.TrustDomain);
        var bundle = source is null ? null : await source.GetBundleAsync(cancellationToken);
        return Validate(leaf, intermediates, _ => (source is not null, bundle), role);
    }

    /// <summary>
    /// Validates against one bundle given for the leaf's trust domain, for an <c>https_spiffe</c> endpoint check. The
    /// leaf must still name <paramref name="bundle"/>'s trust domain.
    /// </summary>
    public X509SvidResult Validate(X509Certificate2 leaf, IEnumerable<X509Certificate2>? intermediates, SpiffeBundle bundle, SvidRole role)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return Validate(leaf, intermediates, td => td == bundle.TrustDomain ? (true, bundle) : (false, null), role);
    }

    /// <summary>
    /// Every URI SAN of <paramref name="certificate"/>, byte-exact (GeneralName <c>[6] IA5String</c>, RFC 5280
    /// §4.2.1.6); null when the SAN extension cannot be decoded. <see cref="X509Certificate2.GetNameInfo"/> returns only
    /// the first, which is why it is not used.
    /// </summary>
    public static IReadOnlyList<string>? ReadUriSans(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var uris = new List<string>();
        var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != "2.5.29.17")
            {
                continue;
            }

            try
            {
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
                var names = reader.ReadSequence();
                reader.ThrowIfNotEmpty();
                while (names.HasData)
                {
                    var tag = names.PeekTag();
                    if (tag.HasSameClassAndValue(uriTag))
                    {
                        uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                    }
                    else
                    {
                        names.ReadEncodedValue();
                    }
                }
            }
            catch (Exception e) when (e is AsnContentException or ArgumentException)
            {
                return null;
            }
        }

        return uris;
    }

    private X509SvidResult Validate(
        X509Certificate2 leaf,
        IEnumerable<X509Certificate2>? intermediates,
        Func<string, (bool Configured, SpiffeBundle? Bundle)> bundleFor,
        SvidRole role)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var (failure, id) = CheckLeaf(leaf, role);
        if (failure != SvidFailure.None)
        {
            return new X509SvidResult(failure, null, id);
        }

        var (configured, bundle) = bundleFor(id!.TrustDomain);
        if (!configured)
        {
            return new X509SvidResult(SvidFailure.UnknownTrustDomain, null, id);
        }

        if (bundle is null)
        {
            return new X509SvidResult(SvidFailure.BundleUnavailable, null, id);
        }

        if (bundle.X509Authorities.Count == 0)
        {
            return new X509SvidResult(SvidFailure.TrustDomainTrustsNothing, null, id);
        }

        var now = _time.GetUtcNow();
        if (now < leaf.NotBefore.ToUniversalTime())
        {
            return new X509SvidResult(SvidFailure.NotYetValid, null, id);
        }

        if (now >= leaf.NotAfter.ToUniversalTime())
        {
            return new X509SvidResult(SvidFailure.Expired, null, id);
        }

        if (!BuildChain(leaf, intermediates, bundle, now))
        {
            return new X509SvidResult(SvidFailure.ChainInvalid, null, id);
        }

        var thumbprint = Convert.ToHexStringLower(SHA256.HashData(leaf.RawData));
        return new X509SvidResult(SvidFailure.None, new SpiffePeer(id, new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero), thumbprint), id);
    }

    private static (SvidFailure Failure, SpiffeId? Id) CheckLeaf(X509Certificate2 leaf, SvidRole role)
    {
        var uris = ReadUriSans(leaf);
        if (uris is null || uris.Count == 0)
        {
            return (SvidFailure.NoUriSan, null);
        }

        if (uris.Count > 1)
        {
            return (SvidFailure.MultipleUriSans, null);
        }

        if (!SpiffeId.TryParse(uris[0], out var id, out _))
        {
            return (SvidFailure.SubjectNotSpiffeId, null);
        }

        if (!id.HasPath)
        {
            return (SvidFailure.SpiffeIdWithoutPath, id);
        }

        // A missing basic constraints extension means "not a CA" (RFC 5280 §4.2.1.9).
        if (leaf.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
        {
            return (SvidFailure.LeafIsCa, id);
        }

        var keyUsage = leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (keyUsage is not null && (keyUsage.KeyUsages & (X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign)) != 0)
        {
            return (SvidFailure.LeafIsCa, id);
        }

        if (keyUsage is null || (keyUsage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
        {
            return (SvidFailure.KeyUsageInvalid, id);
        }

        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is not null)
        {
            var wanted = role == SvidRole.Client ? ClientAuth : ServerAuth;
            if (!eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == wanted))
            {
                return (SvidFailure.ExtendedKeyUsageInvalid, id);
            }
        }

        return (SvidFailure.None, id);
    }

    private static bool BuildChain(X509Certificate2 leaf, IEnumerable<X509Certificate2>? intermediates, SpiffeBundle bundle, DateTimeOffset now)
    {
        // A fresh chain and policy per call: the trust store holds this trust domain's roots and nothing else.
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(bundle.X509Authorities.ToArray());
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = now.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        if (intermediates is not null)
        {
            foreach (var intermediate in intermediates)
            {
                // The leaf itself may come along in a peer's list; it is not an intermediate.
                if (!intermediate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    policy.ExtraStore.Add(intermediate);
                }
            }
        }

        try
        {
            if (!chain.Build(leaf))
            {
                return false;
            }

            var elements = chain.ChainElements;
            if (elements.Count > MaxChainLength
                || !bundle.X509Authorities.Any(root => root.RawDataMemory.Span.SequenceEqual(elements[^1].Certificate.RawDataMemory.Span)))
            {
                return false;
            }

            for (var i = 1; i < elements.Count; i++)
            {
                var signer = elements[i].Certificate;
                var constraints = signer.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
                var usage = signer.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
                if (constraints is not { CertificateAuthority: true }
                    || (usage is not null && (usage.KeyUsages & X509KeyUsageFlags.KeyCertSign) == 0))
                {
                    return false;
                }
            }

            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            foreach (var element in chain.ChainElements)
            {
                if (!ReferenceEquals(element.Certificate, leaf))
                {
                    element.Certificate.Dispose();
                }
            }
        }
    }
}
