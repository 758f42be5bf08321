namespace Secrets.Server.Http;

/// <summary>JSON times as Rails renders them: ISO-8601 with milliseconds and a numeric UTC offset.</summary>
internal static class JsonTimes
{
    public static string Format(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+00:00'", System.Globalization.CultureInfo.InvariantCulture);

    public static string Format(DateTime utc) => Format(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));
}
