using System.Globalization;
using Charte.Charters;
using Charte.Journal;
using Charte.Storage;
using Microsoft.EntityFrameworkCore;

namespace Charte.Ledger;

/// <summary>
/// Puts each charter version the server runs under into the ledger: at start, when the charter file's SHA-256 differs
/// from the last one journaled, a <c>charter.version</c> entry records it (digest, date, number of purposes).
/// </summary>
public sealed class CharterVersions(IDbContextFactory<CharteDb> databases, Charter charter, string? sha256, TimeProvider clock) : IHostedService
{
    public const string Action = "charter.version";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (sha256 is null)
        {
            return;
        }

        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var last = await db.Journal.AsNoTracking().Where(j => j.Action == Action).OrderByDescending(j => j.Id).Select(j => j.Detail).FirstOrDefaultAsync(cancellationToken);
        var detail = string.Create(CultureInfo.InvariantCulture, $"sha256 {sha256}; updated {charter.Updated:yyyy-MM-dd}; {charter.Purposes.Count} purposes");
        if (last == detail)
        {
            return;
        }

        db.Journal.Add(new JournalEntry { At = clock.GetUtcNow().UtcDateTime, Actor = "system", Action = Action, Outcome = "ok", Detail = detail });
        await db.SaveChangesAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
