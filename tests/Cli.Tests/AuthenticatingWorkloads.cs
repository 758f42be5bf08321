using System.Net;
using Secrets.Cli.Client;
using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>
/// Workload logins (`--authn-type jwt|k8s|spiffe --service-id ID`): the platform token is read from a file and posted
/// as <c>jwt=…</c> to authn-jwt or authn-spiffe. The server side comes later, so these pin the request shape.
/// </summary>
public sealed class AuthenticatingWorkloads : IAsyncLifetime
{
    private const string Jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6cHJvZDphcHAifQ.c2ln-_";
    private readonly CliRunner cli = new();
    private RecordingServer server = null!;
    private string jwtFile = "";

    public async Task InitializeAsync()
    {
        server = await RecordingServer.StartAsync();
        server.On("GET", "/secrets/acct/variable/db%2Fpassword", Reply.Bytes("s3cret"u8.ToArray()));
        cli.Configure(server.Url);
        jwtFile = Path.Combine(cli.Home, "token");
        File.WriteAllText(jwtFile, Jwt + "\n");
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        cli.Dispose();
    }

    [Theory]
    [InlineData("jwt", "/authn-jwt/github/acct/authenticate")]
    [InlineData("k8s", "/authn-jwt/github/acct/authenticate")]
    [InlineData("spiffe", "/authn-spiffe/github/acct/authenticate")]
    public async Task The_token_file_is_posted_as_a_jwt_form_field(string type, string path)
    {
        var result = await cli.RunAsync("variable", "get", "-i", "db/password", "--authn-type", type, "--service-id", "github", "--jwt-file", jwtFile);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("s3cret", result.Stdout);
        var authenticate = server.Authentications.Single();
        Assert.Equal(path, authenticate.RawPath);
        Assert.Equal("POST", authenticate.Method);
        Assert.Equal("jwt=" + Jwt, authenticate.BodyText);
        Assert.Equal("application/x-www-form-urlencoded", authenticate.Header("Content-Type"));
        Assert.Null(authenticate.Header("Authorization"));
    }

    [Fact]
    public async Task Service_and_host_ids_are_single_encoded_segments()
    {
        var result = await cli.RunAsync("variable", "get", "-i", "db/password", "--authn-type", "jwt", "--service-id", "prod/gke", "--jwt-host-id", "host/ci/app", "--jwt-file", jwtFile);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("/authn-jwt/prod%2Fgke/acct/host%2Fci%2Fapp/authenticate", server.Authentications.Single().RawPath);
    }

    [Fact]
    public async Task The_workload_identity_can_come_from_conjurrc()
    {
        cli.Configure(server.Url, extraYaml: $"authn_type: k8s\nservice_id: cluster\njwt_file: {jwtFile}\n");

        var result = await cli.RunAsync("variable", "get", "-i", "db/password");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("/authn-jwt/cluster/acct/authenticate", server.Authentications.Single().RawPath);
    }

    [Fact]
    public async Task The_workload_identity_can_come_from_the_environment()
    {
        cli.Environment["CONJUR_AUTHN_TYPE"] = "spiffe";
        cli.Environment["CONJUR_SERVICE_ID"] = "mesh";
        cli.Environment["JWT_TOKEN_PATH"] = jwtFile;

        var result = await cli.RunAsync("variable", "get", "-i", "db/password");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("/authn-spiffe/mesh/acct/authenticate", server.Authentications.Single().RawPath);
    }

    [Fact]
    public async Task Login_with_a_workload_identity_caches_a_token_and_stores_no_api_key()
    {
        server.On("POST", "/authn-jwt/ci/acct/authenticate", _ => Reply.Json(server.IssueToken("host/ci/runner")));

        var login = await cli.RunAsync("login", "--authn-type", "jwt", "--service-id", "ci", "--jwt-file", jwtFile);
        var get = await cli.RunAsync("variable", "get", "-i", "db/password", "--authn-type", "jwt", "--service-id", "ci", "--jwt-file", jwtFile);

        Assert.Equal(0, login.ExitCode);
        Assert.Equal("Logged in as host/ci/runner\n", login.Stdout);
        Assert.Equal(0, get.ExitCode);
        Assert.Single(server.Authentications);
        Assert.False(File.Exists(cli.NetrcPath));
    }

    [Fact]
    public async Task Without_a_token_file_the_kubernetes_path_is_tried_and_named()
    {
        var result = await cli.RunAsync("whoami", "--authn-type", "k8s", "--service-id", "cluster");

        if (File.Exists(WorkloadCredentials.KubernetesTokenPath))
        {
            return; // Running inside a pod: the default path exists, nothing to assert about its absence.
        }

        Assert.Equal(ExitCodes.NotLoggedIn, result.ExitCode);
        Assert.Contains(WorkloadCredentials.KubernetesTokenPath, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_workload_type_without_a_service_id_exits_3()
    {
        var result = await cli.RunAsync("whoami", "--authn-type", "jwt", "--jwt-file", jwtFile);

        Assert.Equal(ExitCodes.NotLoggedIn, result.ExitCode);
        Assert.Contains("needs a service id", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rejected_workload_token_exits_1()
    {
        server.On("POST", "/authn-jwt/ci/acct/authenticate", Reply.Empty((int)HttpStatusCode.Unauthorized));

        var result = await cli.RunAsync("whoami", "--authn-type", "jwt", "--service-id", "ci", "--jwt-file", jwtFile);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("error: 401 Unauthorized\n", result.Stderr);
    }
}
