using Secrets.Cli.Tests.Infrastructure;

namespace Secrets.Cli.Tests;

/// <summary>The text-writer entry point and the injectable HTTP handler, as another program (or test) embeds the CLI.</summary>
public sealed class EmbeddingTheCli : IAsyncLifetime
{
    private readonly string home = Directory.CreateTempSubdirectory("secrets-cli-embed-").FullName;
    private RecordingServer server = null!;

    public async Task InitializeAsync() => server = await RecordingServer.StartAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(home, recursive: true);
    }

    [Fact]
    public async Task Text_writers_capture_output_and_errors()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var help = await CliApp.RunAsync(["variable", "--help"], stdout, stderr, Stream.Null, new Dictionary<string, string?>(), home);
        var error = await CliApp.RunAsync(["whoami"], stdout, stderr, Stream.Null, new Dictionary<string, string?>(), home);

        Assert.Equal(0, help);
        Assert.Contains("secrets variable [command] [options]", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotLoggedIn, error);
        Assert.StartsWith("error: Not configured", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_given_handler_carries_every_request()
    {
        server.On("GET", "/whoami", Reply.Json("""{"username":"alice"}"""));
        using var counting = new CountingHandler(new SocketsHttpHandler());
        var environment = new Dictionary<string, string?>
        {
            ["CONJUR_APPLIANCE_URL"] = server.Url.ToString(),
            ["CONJUR_ACCOUNT"] = "acct",
            ["CONJUR_AUTHN_LOGIN"] = "alice",
            ["CONJUR_AUTHN_API_KEY"] = "key",
        };
        using var stdout = new StringWriter();

        var code = await CliApp.RunAsync(["whoami"], stdout, TextWriter.Null, Stream.Null, environment, home, counting);

        Assert.Equal(0, code);
        Assert.Equal("{\n  \"username\": \"alice\"\n}\n", stdout.ToString());
        Assert.Equal(2, counting.Count);
    }

    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public int Count { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Count++;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
