using System.Collections.Concurrent;

namespace Secrets.Server.Data;

/// <summary>
/// An EF compiled query, compiled once per concrete context type: a compiled query is bound to the model it first
/// ran against, and the SQLite and PostgreSQL contexts have different models (tests run both in one process).
/// </summary>
internal sealed class CompiledPerProvider<TQuery>(Func<TQuery> compile)
    where TQuery : class
{
    private readonly ConcurrentDictionary<Type, TQuery> _byContext = new();

    public TQuery For(SecretsDbContext db) => _byContext.GetOrAdd(db.GetType(), _ => compile());
}
