using System.Globalization;
using System.Text;
using Secrets.Server.Configuration;
using Secrets.Server.Http;

namespace Secrets.Server.Audit;

/// <summary>An RFC 5424 structured-data element, e.g. <c>[subject@43868 role="acct:user:alice"]</c>.</summary>
internal sealed record SdElement(string Id, IReadOnlyList<KeyValuePair<string, string>> Params)
{
    public static SdElement Of(string id, params (string Name, string Value)[] ps) =>
        new(id + "@43868", ps.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)).ToList());
}

/// <summary>
/// One audit event (spec 8). Audit records are written explicitly, never through logging, and never carry a
/// secret value, API key, token or password: only ids, operation names and error messages from the catalog.
/// </summary>
internal sealed record AuditEvent(
    string MessageId,
    int Facility,
    int Severity,
    string Operation,
    bool Success,
    IReadOnlyList<SdElement> Elements,
    string Message)
{
    public const int FacilityAuth = 4;
    public const int FacilityAuthPriv = 10;
    public const int SeverityWarning = 4;
    public const int SeverityNotice = 5;
    public const int SeverityInfo = 6;

    public static AuditEvent Create(string msgId, string operation, bool success, string message, params SdElement[] elements) =>
        new(msgId, FacilityAuthPriv, success ? SeverityInfo : SeverityWarning, operation, success, elements, message);
}

internal interface IAuditSink
{
    void Write(string line);
}

internal sealed class StdoutAuditSink : IAuditSink
{
    private readonly Lock _gate = new();

    public void Write(string line)
    {
        lock (_gate)
        {
            Console.Out.WriteLine(line);
        }
    }
}

/// <summary>
/// Appends records to a file, created 0600 (records name roles, resources and client addresses). The file is opened at
/// the first record, and again at the next record after a failed write, so an operator who fixes the path (a full
/// disk, a directory in the file's place) needs no restart. A failed write throws: <see cref="AuditLog"/> decides.
/// </summary>
internal sealed class FileAuditSink(string path) : IAuditSink, IDisposable
{
    private readonly Lock _gate = new();
    private StreamWriter? _writer;

    public void Write(string line)
    {
        lock (_gate)
        {
            try
            {
                _writer ??= Open(path);
                _writer.WriteLine(line);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Close();
                throw;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            Close();
        }
    }

    private static StreamWriter Open(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new StreamWriter(new FileStream(path, options)) { AutoFlush = true };
    }

    private void Close()
    {
        try
        {
            _writer?.Dispose();
        }
        catch (IOException)
        {
            // Flushing what the failed write left in the buffer fails the same way; that record is lost either way.
        }

        _writer = null;
    }
}

/// <summary>The audit sink failed while <see cref="AuditOptions.Required"/> is on: the pipeline answers 503 audit_unavailable.</summary>
internal sealed class AuditUnavailableException(Exception inner) : Exception("The audit record could not be written.", inner);

internal sealed class NullAuditSink : IAuditSink
{
    public void Write(string line)
    {
    }
}

/// <summary>In-memory sink; used by tests to read what was audited (it is a real sink, not a mock).</summary>
internal sealed class MemoryAuditSink : IAuditSink
{
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return _lines.ToList();
            }
        }
    }

    public void Write(string line)
    {
        lock (_gate)
        {
            _lines.Add(line);
        }
    }
}

internal static class AuditServices
{
    /// <summary>The audit log and its sink (SECRETS_AUDIT: stdout, a file or none), which records the request's id.</summary>
    public static IServiceCollection AddAudit(this IServiceCollection services, AuditOptions options) =>
        services
            .AddHttpContextAccessor()
            .AddSingleton(options)
            .AddSingleton(_ => AuditLog.CreateSink(options))
            .AddSingleton<AuditLog>();
}

/// <summary>
/// Formats audit events as RFC 5424 lines and hands them to the configured sink. When the sink fails: with
/// <see cref="AuditOptions.Required"/> (the default, Vault's rule that no request succeeds unless it is audited) the
/// write throws <see cref="AuditUnavailableException"/>, which the pipeline turns into 503 whatever the handler was
/// about to answer; otherwise the failure is logged and the request goes on. Records are written where the action is
/// decided, mostly right after its commit, so a 503 can follow a change that stands (docs/decisions.md).
/// </summary>
internal sealed partial class AuditLog(IAuditSink sink, TimeProvider time, IHttpContextAccessor http, AuditOptions options, ILogger<AuditLog> logger)
{
    /// <summary>RFC 5424 §6: PROCID is 1*128PRINTUSASCII, while an X-Request-Id may be 255 characters (spec 1.3).</summary>
    private const int MaxProcIdLength = 128;

    public static IAuditSink CreateSink(AuditOptions options) => options.Sink switch
    {
        "stdout" => new StdoutAuditSink(),
        "none" => new NullAuditSink(),
        var path => new FileAuditSink(path),
    };

    /// <summary>False when records go nowhere (<c>SECRETS_AUDIT=none</c>): callers may skip building them.</summary>
    public bool Enabled => sink is not NullAuditSink;

    public void Write(AuditEvent e)
    {
        if (!Enabled)
        {
            return;
        }

        var ctx = http.HttpContext;
        var procId = ctx is not null ? RequestIds.Get(ctx) : Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var ip = ctx is not null ? ClientAddresses.Get(ctx)?.ToString() : null;
        var line = Format(e, time.GetUtcNow(), procId, ip);
        try
        {
            sink.Write(line);
        }
        catch (Exception failure) when (failure is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // The exception type and operation only: the line itself names roles and resources, and the exception's
            // message at most a path.
            LogAuditFailed(logger, e.Operation, e.MessageId, failure.GetType().Name, options.Required);
            if (options.Required)
            {
                throw new AuditUnavailableException(failure);
            }
        }
    }

    [LoggerMessage(EventId = 8001, Level = LogLevel.Critical, Message = "The audit record of {Operation} ({MessageId}) could not be written ({Failure}); refused: {Required}")]
    private static partial void LogAuditFailed(ILogger logger, string operation, string messageId, string failure, bool required);

    public static string Format(AuditEvent e, DateTimeOffset at, string procId, string? clientIp)
    {
        var sb = new StringBuilder(256);
        sb.Append('<').Append((e.Facility * 8) + e.Severity).Append(">1 ")
            .Append(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture))
            .Append(" - conjur ").Append(procId.Length > MaxProcIdLength ? procId[..MaxProcIdLength] : procId).Append(' ').Append(e.MessageId).Append(' ');
        foreach (var el in e.Elements)
        {
            AppendElement(sb, el);
        }

        if (clientIp is not null)
        {
            AppendElement(sb, SdElement.Of("client", ("ip", clientIp)));
        }

        AppendElement(sb, SdElement.Of("action", ("result", e.Success ? "success" : "failure"), ("operation", e.Operation)));
        sb.Append(' ').Append(Sanitize(e.Message));
        return sb.ToString();
    }

    private static void AppendElement(StringBuilder sb, SdElement el)
    {
        sb.Append('[').Append(el.Id);
        foreach (var p in el.Params)
        {
            sb.Append(' ').Append(p.Key).Append("=\"");
            foreach (var c in Sanitize(p.Value))
            {
                // RFC 5424 §6.3.3: '"', '\' and ']' are escaped inside PARAM-VALUE.
                if (c is '"' or '\\' or ']')
                {
                    sb.Append('\\');
                }

                sb.Append(c);
            }

            sb.Append('"');
        }

        sb.Append(']');
    }

    // One record is one line: control characters from ids or messages cannot forge a second record.
    private static string Sanitize(string s) =>
        s.Any(char.IsControl) ? new string(s.Select(c => char.IsControl(c) ? ' ' : c).ToArray()) : s;
}
