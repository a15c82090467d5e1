using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Charte.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Charte.Keys;

/// <summary>A data key as stored: its version, the master key version that wraps it, and the wrapped bytes.</summary>
public sealed record StoredKey(int Version, int MasterVersion, byte[] Wrapped);

/// <summary>One subject's data key, unwrapped, and the associated data that binds each of its ciphertexts.</summary>
public sealed class SubjectDataKey(Guid subject, int version, byte[] key)
{
    public Guid Subject { get; } = subject;
    public int Version { get; } = version;

    /// <summary>The raw key, for re-wrapping under a new master key only.</summary>
    internal byte[] ExportForRewrap() => key;

    public byte[] SealRecord(Guid record, ReadOnlySpan<byte> value) => Seal(value, Binding("record", record));
    public byte[] OpenRecord(Guid record, int keyVersion, byte[] value) => Open(value, Binding("record", record, keyVersion));
    public byte[] SealDocument(Guid document, ReadOnlySpan<byte> content) => Seal(content, Binding("document", document));
    public byte[] OpenDocument(Guid document, int keyVersion, byte[] content) => Open(content, Binding("document", document, keyVersion));
    public byte[] SealName(Guid document, string name) => Seal(Encoding.UTF8.GetBytes(name), Binding("document-name", document));
    public string OpenName(Guid document, int keyVersion, byte[] name) => Encoding.UTF8.GetString(Open(name, Binding("document-name", document, keyVersion)));

    // The cipher is set up once per key (its key schedule), not once per value; AesGcm is not safe for concurrent use.
    private readonly Lock _cipherLock = new();
    private AesGcm? _cipher;

    private byte[] Seal(ReadOnlySpan<byte> plaintext, string binding)
    {
        lock (_cipherLock)
        {
            return Envelope.Seal(_cipher ??= Envelope.Cipher(key), plaintext, binding);
        }
    }

    private byte[] Open(byte[] sealedBytes, string binding)
    {
        lock (_cipherLock)
        {
            return Envelope.Open(_cipher ??= Envelope.Cipher(key), sealedBytes, binding);
        }
    }

    /// <summary>HMAC of a document's plaintext under a key derived from this one: provable while the key exists, unlinkable after.</summary>
    public byte[] Commitment(ReadOnlySpan<byte> content)
    {
        var macKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, info: Encoding.ASCII.GetBytes("charte/commitment/v1"));
        return HMACSHA256.HashData(macKey, content);
    }

    private string Binding(string kind, Guid id, int? keyVersion = null) =>
        string.Create(CultureInfo.InvariantCulture, $"charte/{kind}|{Subject:N}|{id:N}|{keyVersion ?? Version}");
}

/// <summary>
/// Creates, unwraps and destroys subjects' data keys. Unwrapped keys are cached for a short time (the setting
/// <c>Charte:Keys:CacheSeconds</c>); destroying a key evicts it at once on this node.
/// </summary>
public sealed class SubjectKeys(IDbContextFactory<KeyStoreDb> store, MasterKeys masters, TimeProvider clock, TimeSpan cacheFor)
{
    private const int MaxCached = 100_000;
    private readonly ConcurrentDictionary<Guid, (SubjectDataKey Key, long Until)> _cache = new();

    public MasterKeys Masters => masters;

    /// <summary>Makes and stores a new data key. Called before the subject row is written, so a failed write leaves at most an unused key.</summary>
    public async Task<SubjectDataKey> CreateAsync(Guid subject, CancellationToken cancellationToken)
    {
        var (row, key) = NewKeys([subject])[0];
        await using var db = await store.CreateDbContextAsync(cancellationToken);
        db.SubjectKeys.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        Remember(key);
        return key;
    }

    /// <summary>Makes and stores many data keys in one transaction (bulk import, demo data).</summary>
    public async Task<IReadOnlyList<SubjectDataKey>> CreateManyAsync(IReadOnlyList<Guid> subjects, CancellationToken cancellationToken)
    {
        var made = NewKeys(subjects);
        await using var db = await store.CreateDbContextAsync(cancellationToken);
        var table = db.Model.FindEntityType(typeof(SubjectKey))!.GetSchemaQualifiedTableName()!;
        var rows = new BulkRows(table, "subject_id", "version", "master_version", "wrapped", "created_at");
        foreach (var (row, _) in made)
        {
            rows.Add(row.SubjectId, row.Version, row.MasterVersion, row.Wrapped, row.CreatedAt);
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await rows.WriteAsync(db.Database.GetDbConnection(), transaction.GetDbTransaction(), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return [.. made.Select(m => m.Key)];
    }

    /// <summary>The subject's data key, or null when it was destroyed (or never made).</summary>
    public async Task<SubjectDataKey?> FindAsync(Guid subject, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(subject, out var cached) && clock.GetTimestamp() < cached.Until)
        {
            return cached.Key;
        }

        await using var db = await store.CreateDbContextAsync(cancellationToken);
        var row = await db.SubjectKeys.AsNoTracking().FirstOrDefaultAsync(k => k.SubjectId == subject, cancellationToken);
        if (row is null)
        {
            _cache.TryRemove(subject, out _);
            return null;
        }

        var key = Unwrap(row);
        Remember(key);
        return key;
    }

    /// <summary>
    /// The subject's data key from its stored row, read with the subject (null: destroyed, or never made): from the
    /// cache when it is there, else unwrapped and cached.
    /// </summary>
    public SubjectDataKey? FromStored(Guid subject, StoredKey? stored)
    {
        if (stored is null)
        {
            _cache.TryRemove(subject, out _);
            return null;
        }

        if (_cache.TryGetValue(subject, out var cached) && clock.GetTimestamp() < cached.Until && cached.Key.Version == stored.Version)
        {
            return cached.Key;
        }

        var key = Unwrap(new SubjectKey { SubjectId = subject, Version = stored.Version, MasterVersion = stored.MasterVersion, Wrapped = stored.Wrapped });
        Remember(key);
        return key;
    }

    /// <summary>Destroys the subject's data key: every ciphertext made with it, in the database and in every backup, becomes noise.</summary>
    public async Task<bool> ShredAsync(Guid subject, CancellationToken cancellationToken) => await ShredManyAsync([subject], cancellationToken) > 0;

    /// <summary>Destroys the data keys of many subjects in one statement (erasure); returns how many existed.</summary>
    public async Task<int> ShredManyAsync(IReadOnlyCollection<Guid> subjects, CancellationToken cancellationToken)
    {
        await using var db = await store.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        return await ShredManyAsync(db.Database.GetDbConnection(), db.Model.FindEntityType(typeof(SubjectKey))!.GetSchemaQualifiedTableName()!, subjects, cancellationToken);
    }

    /// <summary>
    /// The same on a plain connection of its own to <paramref name="location"/>'s key store, for retention sweeps (which
    /// use no EF Core): committed at once, before the caller's transaction deletes the data.
    /// </summary>
    internal async Task<int> ShredManyAsync(StoreLocation location, IReadOnlyCollection<Guid> subjects, CancellationToken cancellationToken)
    {
        await using var connection = await KeyStoreDb.OpenAsync(location, cancellationToken);
        return await ShredManyAsync(connection, KeyStoreDb.Table(location), subjects, cancellationToken);
    }

    /// <summary>
    /// The keys are evicted from this node's cache before and after the statement (bounded by the list's smallest and
    /// largest id, for the key store's index).
    /// </summary>
    private async Task<int> ShredManyAsync(System.Data.Common.DbConnection connection, string table, IReadOnlyCollection<Guid> subjects, CancellationToken cancellationToken)
    {
        if (subjects.Count == 0)
        {
            return 0;
        }

        Forget(subjects);
        await using var command = Sql.Command(connection, "");
        command.CommandText = $"DELETE FROM {table} WHERE {Sql.BoundedIdIn(command, "subject_id", "@ids", subjects)}";
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        Forget(subjects);
        return deleted;
    }

    private void Forget(IReadOnlyCollection<Guid> subjects)
    {
        foreach (var subject in subjects)
        {
            _cache.TryRemove(subject, out _);
        }
    }

    /// <summary>Re-wraps every data key not wrapped by the current master key, in batches; the data is not touched.</summary>
    public async Task<int> RewrapAsync(CancellationToken cancellationToken, int batchSize = 1000)
    {
        var rewrapped = 0;
        while (true)
        {
            await using var db = await store.CreateDbContextAsync(cancellationToken);
            var batch = await db.SubjectKeys.Where(k => k.MasterVersion != masters.Current).OrderBy(k => k.SubjectId).Take(batchSize).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return rewrapped;
            }

            using var kek = Envelope.Cipher(masters.Kek(masters.Current));
            foreach (var row in batch)
            {
                var key = Unwrap(row);
                row.Wrapped = Wrap(kek, row.SubjectId, row.Version, masters.Current, KeyBytes(key));
                row.MasterVersion = masters.Current;
            }

            await db.SaveChangesAsync(cancellationToken);
            rewrapped += batch.Count;
        }
    }

    /// <summary>How many data keys each master-key version wraps.</summary>
    public async Task<Dictionary<int, int>> CountByMasterVersionAsync(CancellationToken cancellationToken)
    {
        await using var db = await store.CreateDbContextAsync(cancellationToken);
        return await db.SubjectKeys.GroupBy(k => k.MasterVersion).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
    }

    /// <summary>
    /// New data keys, wrapped by the current master key: their bytes drawn from the generator in one call (then wiped
    /// from that buffer), and wrapped by one cipher set up once (an import makes a thousand keys at a time).
    /// </summary>
    private List<(SubjectKey Row, SubjectDataKey Key)> NewKeys(IReadOnlyList<Guid> subjects)
    {
        var random = RandomNumberGenerator.GetBytes(DataKeyBytes * subjects.Count);
        try
        {
            using var kek = Envelope.Cipher(masters.Kek(masters.Current));
            var now = clock.GetUtcNow().UtcDateTime;
            var made = new List<(SubjectKey, SubjectDataKey)>(subjects.Count);
            for (var i = 0; i < subjects.Count; i++)
            {
                var bytes = random.AsSpan(i * DataKeyBytes, DataKeyBytes).ToArray();
                var row = new SubjectKey
                {
                    SubjectId = subjects[i],
                    Version = 1,
                    MasterVersion = masters.Current,
                    Wrapped = Wrap(kek, subjects[i], 1, masters.Current, bytes),
                    CreatedAt = now,
                };
                made.Add((row, new SubjectDataKey(subjects[i], 1, bytes)));
            }

            return made;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(random);
        }
    }

    private const int DataKeyBytes = 32;

    /// <summary>A data key wrapped by <paramref name="kek"/>, the cipher of master key <paramref name="masterVersion"/> (set up once per batch).</summary>
    private static byte[] Wrap(AesGcm kek, Guid subject, int version, int masterVersion, byte[] key) =>
        Envelope.Seal(kek, key, WrapBinding(subject, version, masterVersion));

    private SubjectDataKey Unwrap(SubjectKey row) =>
        new(row.SubjectId, row.Version, Envelope.Open(masters.Kek(row.MasterVersion), row.Wrapped, WrapBinding(row.SubjectId, row.Version, row.MasterVersion)));

    private static string WrapBinding(Guid subject, int version, int masterVersion) =>
        string.Create(CultureInfo.InvariantCulture, $"charte/dek|{subject:N}|{version}|{masterVersion}");

    private static byte[] KeyBytes(SubjectDataKey key) => key.ExportForRewrap();

    private void Remember(SubjectDataKey key)
    {
        if (cacheFor <= TimeSpan.Zero)
        {
            return;
        }

        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }

        _cache[key.Subject] = (key, clock.GetTimestamp() + (long)(cacheFor.TotalSeconds * clock.TimestampFrequency));
    }
}
