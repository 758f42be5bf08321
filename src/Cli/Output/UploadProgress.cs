using System.Globalization;

namespace Secrets.Cli.Output;

/// <summary>
/// Upload progress on stderr for large policy files: one redrawn line on a terminal, otherwise a line per 25 %
/// so CI logs stay short.
/// </summary>
internal sealed class UploadProgress(TextWriter stderr, string name, long total, bool terminal) : IProgress<long>
{
    /// <summary>Files from this size on show progress.</summary>
    public const long Threshold = 1024 * 1024;

    private int lastStep = -1;

    public void Report(long value)
    {
        var percent = total == 0 ? 100 : (int)(value * 100 / total);
        var step = terminal ? percent : percent / 25 * 25;
        if (step == lastStep)
        {
            return;
        }

        lastStep = step;
        var line = string.Create(CultureInfo.InvariantCulture, $"Uploading {name}: {step,3}% ({Mebibytes(value)} of {Mebibytes(total)} MiB)");
        if (terminal)
        {
            stderr.Write("\r" + line);
            if (value >= total)
            {
                stderr.WriteLine();
            }
        }
        else
        {
            stderr.WriteLine(line);
        }

        stderr.Flush();
    }

    private static string Mebibytes(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
