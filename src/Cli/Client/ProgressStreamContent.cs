using System.Net;

namespace Secrets.Cli.Client;

/// <summary>
/// Request body copied from a seekable stream in chunks, reporting the bytes sent so far. The stream is
/// rewound on every serialization so the client can replay the request after refreshing a token.
/// </summary>
internal sealed class ProgressStreamContent : HttpContent
{
    private const int ChunkSize = 64 * 1024;
    private readonly Stream source;
    private readonly long start;
    private readonly long length;
    private readonly IProgress<long>? progress;

    public ProgressStreamContent(Stream source, long start, IProgress<long>? progress)
    {
        this.source = source;
        this.start = start;
        length = source.Length - start;
        this.progress = progress;
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        await SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        source.Position = start;
        var buffer = new byte[ChunkSize];
        long sent = 0;
        progress?.Report(0);
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            sent += read;
            progress?.Report(sent);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = this.length;
        return true;
    }
}
