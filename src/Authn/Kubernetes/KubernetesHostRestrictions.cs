namespace Secrets.Authn.Kubernetes;

/// <summary>
/// The host-annotation restrictions of <c>authn-k8s</c> (conjur-api.md 7.4), checked against a service-account
/// token's identity instead of pod lookups: <c>namespace</c> (required), <c>service-account</c>, <c>pod</c> and our
/// addition <c>service-account-uid</c>, each either service-specific (<c>authn-k8s/&lt;service-id&gt;/&lt;name&gt;</c>,
/// which wins) or general (<c>authn-k8s/&lt;name&gt;</c>).
/// </summary>
public static class KubernetesHostRestrictions
{
    /// <summary>The annotation prefix.</summary>
    public const string Prefix = "authn-k8s/";

    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "namespace", "service-account", "service-account-uid", "pod",
    };

    // Conjur restrictions that need Kubernetes API reads (labels, owner chains). Refused, not ignored: ignoring one
    // would let any pod of the namespace in where the policy author meant one deployment.
    private static readonly HashSet<string> NeedApiReads = new(StringComparer.Ordinal)
    {
        "namespace-label-selector", "deployment", "stateful-set", "deployment-config",
    };

    // Meaningful only to Conjur's certificate-injection flow; harmless to ignore.
    private const string ContainerName = "authentication-container-name";

    /// <summary>
    /// Checks the host's annotations against <paramref name="identity"/>. Annotations of other authenticators,
    /// and service-specific ones of other service ids, are ignored.
    /// </summary>
    public static ServiceAccountFailure Check(string serviceId, IReadOnlyDictionary<string, string> annotations, ServiceAccountIdentity identity)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceId);
        ArgumentNullException.ThrowIfNull(annotations);
        ArgumentNullException.ThrowIfNull(identity);

        var general = new Dictionary<string, string>(StringComparer.Ordinal);
        var specific = new Dictionary<string, string>(StringComparer.Ordinal);
        var servicePrefix = Prefix + serviceId + "/";
        foreach (var (name, value) in annotations)
        {
            string key;
            Dictionary<string, string> target;
            if (name.StartsWith(servicePrefix, StringComparison.Ordinal))
            {
                key = name[servicePrefix.Length..];
                target = specific;
            }
            else if (name.StartsWith(Prefix, StringComparison.Ordinal) && !name.AsSpan(Prefix.Length).Contains('/'))
            {
                key = name[Prefix.Length..];
                target = general;
            }
            else
            {
                continue;
            }

            if (key == ContainerName)
            {
                continue;
            }

            if (!Supported.Contains(key))
            {
                return ServiceAccountFailure.RestrictionUnsupported;
            }

            if (string.IsNullOrEmpty(value))
            {
                return ServiceAccountFailure.RestrictionInvalid;
            }

            target[key] = value;
        }

        foreach (var (key, value) in specific)
        {
            general[key] = value;
        }

        if (!general.ContainsKey("namespace"))
        {
            return ServiceAccountFailure.RestrictionMissing;
        }

        foreach (var (key, expected) in general)
        {
            var actual = key switch
            {
                "namespace" => identity.Namespace,
                "service-account" => identity.ServiceAccountName,
                "service-account-uid" => identity.ServiceAccountUid,
                _ => identity.PodName,
            };
            if (!string.Equals(actual, expected, StringComparison.Ordinal))
            {
                return ServiceAccountFailure.RestrictionMismatch;
            }
        }

        return ServiceAccountFailure.None;
    }

    /// <summary>True when an annotation name unsupported here (<see cref="ServiceAccountFailure.RestrictionUnsupported"/>)
    /// needs Kubernetes API reads, so the status endpoint can name it.</summary>
    public static bool NeedsApiReads(string key) => NeedApiReads.Contains(key);
}
