using System.Diagnostics;

namespace Secrets.Bench;

internal sealed record LoadResult(string Name, long Requests, long Errors, double Seconds, double P50Ms, double P99Ms, string ErrorStatuses)
{
    public double RequestsPerSecond => Requests / Seconds;
}

/// <summary>A closed-loop HTTP load on loopback: N workers, each sending the next request when the last answered, for a bounded time.</summary>
internal static class LoadDriver
{
    public static async Task<LoadResult> RunAsync(string name, HttpClient client, Func<int, HttpRequestMessage> request, int workers, TimeSpan duration)
    {
        // Warm-up: JIT, connection pool, snapshot cache.
        for (var i = 0; i < 50; i++)
        {
            using var warm = await client.SendAsync(request(i));
        }

        var latencies = new List<double>[workers];
        var errors = 0L;
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        var stop = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, workers).Select(async w =>
        {
            var mine = latencies[w] = new List<double>(100_000);
            var i = w;
            while (stop.Elapsed < duration)
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await client.SendAsync(request(i));
                await response.Content.CopyToAsync(Stream.Null);
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref errors);
                    statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                }

                i += workers;
            }
        }).ToArray();
        await Task.WhenAll(tasks);
        var seconds = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(name, all.Length, errors, seconds, Percentile(all, 0.50), Percentile(all, 0.99), string.Join(' ', statuses.OrderBy(k => k.Key).Select(k => $"{k.Key}x{k.Value}")));
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
