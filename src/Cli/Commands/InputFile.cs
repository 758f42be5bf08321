namespace Secrets.Cli.Commands;

/// <summary>Opens a <c>-f FILE</c> argument; <c>-</c> is standard input. A missing file is a usage error.</summary>
internal static class InputFile
{
    public static Stream Open(CliSession session, string path)
    {
        if (path == "-")
        {
            return session.Host.Stdin;
        }

        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw new UsageException($"Cannot read '{path}': {e.Message}");
        }
    }

    public static async Task<byte[]> ReadAllBytesAsync(CliSession session, string path, CancellationToken cancellationToken)
    {
        var stream = Open(session, path);
        try
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
        finally
        {
            if (path != "-")
            {
                await stream.DisposeAsync();
            }
        }
    }
}
