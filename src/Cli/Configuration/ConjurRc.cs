using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Secrets.Cli.Configuration;

/// <summary>
/// <c>~/.conjurrc</c>: the Conjur CLI's YAML configuration (<c>appliance_url</c>, <c>account</c>, <c>cert_file</c>,
/// <c>authn_type</c>, <c>service_id</c>, and the optional <c>netrc_path</c>, <c>jwt_file</c>, <c>jwt_host_id</c>).
/// Files written by the Ruby CLI (<c>---</c>, <c>plugins: []</c>) read fine: unknown and non-scalar keys are ignored.
/// </summary>
internal sealed record ConjurRc
{
    public string? ApplianceUrl { get; init; }

    public string? Account { get; init; }

    public string? CertFile { get; init; }

    public string? AuthnType { get; init; }

    public string? ServiceId { get; init; }

    public string? NetrcPath { get; init; }

    public string? JwtFile { get; init; }

    public string? JwtHostId { get; init; }

    /// <exception cref="ConfigurationException">The file is not a YAML mapping.</exception>
    public static ConjurRc Parse(string text, string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count > 0)
            {
                if (stream.Documents[0].RootNode is not YamlMappingNode mapping)
                {
                    throw new ConfigurationException($"{path} is not a YAML mapping of settings.");
                }

                foreach (var (key, value) in mapping.Children)
                {
                    if (key is YamlScalarNode { Value: { } name } && value is YamlScalarNode { Value: { } scalar })
                    {
                        values[name] = scalar;
                    }
                }
            }
        }
        catch (YamlException e)
        {
            throw new ConfigurationException($"{path} is not valid YAML: {e.Message}");
        }

        return new ConjurRc
        {
            ApplianceUrl = Get("appliance_url"),
            Account = Get("account"),
            CertFile = Get("cert_file"),
            AuthnType = Get("authn_type"),
            ServiceId = Get("service_id"),
            NetrcPath = Get("netrc_path"),
            JwtFile = Get("jwt_file"),
            JwtHostId = Get("jwt_host_id"),
        };

        string? Get(string key) => values.TryGetValue(key, out var v) && v.Length > 0 ? v : null;
    }

    public static ConjurRc? Load(string path) =>
        File.Exists(path) ? Parse(File.ReadAllText(path), path) : null;

    /// <summary>YAML in the Conjur CLI's key order; empty optional keys are left out.</summary>
    public string ToYaml()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["account"] = Account ?? "",
            ["appliance_url"] = ApplianceUrl ?? "",
        };
        Add("cert_file", CertFile);
        values["authn_type"] = AuthnType ?? "authn";
        Add("service_id", ServiceId);
        Add("netrc_path", NetrcPath);
        Add("jwt_file", JwtFile);
        Add("jwt_host_id", JwtHostId);
        return new SerializerBuilder().Build().Serialize(values);

        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                values[key] = value;
            }
        }
    }
}

/// <summary>The configuration is missing or unreadable (exit code 3).</summary>
internal sealed class ConfigurationException(string message) : Exception(message);
