using Microsoft.EntityFrameworkCore;

namespace Secrets.Server.Data;

/// <summary>Whether this build's migrations are applied; remembered once true (migrations are never taken back).</summary>
internal sealed class MigrationsApplied
{
    private volatile bool _applied;

    public async Task<bool> CheckAsync(SecretsDbContext db, CancellationToken ct)
    {
        if (!_applied)
        {
            _applied = !(await db.Database.GetPendingMigrationsAsync(ct)).Any();
        }

        return _applied;
    }
}
