using Charte.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Charte.Keys;

/// <summary>A subject's data key, wrapped by the key-encryption key of one master-key version.</summary>
public sealed class SubjectKey
{
    public Guid SubjectId { get; set; }

    /// <summary>The data key's own version, part of every ciphertext's associated data.</summary>
    public int Version { get; set; }

    /// <summary>The master-key version whose KEK wraps this data key; <c>charte keys rotate</c> moves it forward.</summary>
    public int MasterVersion { get; set; }

    public required byte[] Wrapped { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// The key store, kept apart from the data (its own SQLite file, or the <c>charte_keys</c> schema on PostgreSQL) so that
/// destroying a row here leaves every copy of the data, backups included, undecipherable.
/// </summary>
public sealed class KeyStoreDb(DbContextOptions<KeyStoreDb> options) : DbContext(options)
{
    public const string HistoryTable = "__charte_keys_migrations";

    public DbSet<SubjectKey> SubjectKeys => Set<SubjectKey>();

    internal static string? Schema(string? provider) => provider == "Npgsql.EntityFrameworkCore.PostgreSQL" ? StoreLocation.KeySchema : null;

    public static IDbContextFactory<KeyStoreDb> Factory(StoreLocation store)
    {
        var options = new DbContextOptionsBuilder<KeyStoreDb>();
        Configure(options, store);
        return new PooledDbContextFactory<KeyStoreDb>(options.Options);
    }

    /// <summary>The table of data keys as plain SQL names it: schema-qualified on PostgreSQL, alone in its file on SQLite.</summary>
    internal static string Table(StoreLocation store) => store.Provider == StoreProvider.PostgreSql ? $"{StoreLocation.KeySchema}.subject_keys" : "subject_keys";

    /// <summary>A plain connection to the key store (its own file on SQLite, with the data's durability settings).</summary>
    internal static async Task<System.Data.Common.DbConnection> OpenAsync(StoreLocation store, CancellationToken cancellationToken) =>
        store.Provider == StoreProvider.PostgreSql
            ? await Sql.OpenAsync(store, cancellationToken)
            : await Sql.OpenSqliteAsync(store.KeyStoreConnectionString, cancellationToken);

    public static void Configure(DbContextOptionsBuilder options, StoreLocation store)
    {
        switch (store.Provider)
        {
            case StoreProvider.Sqlite:
                options.UseSqlite(store.KeyStoreConnectionString, o => o.MigrationsHistoryTable(HistoryTable)).AddInterceptors(SqliteDurability.Instance);
                break;
            case StoreProvider.PostgreSql:
                options.UseNpgsql(store.KeyStoreConnectionString, o => o.MigrationsHistoryTable(HistoryTable, StoreLocation.KeySchema));
                break;
        }

        options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.HasDefaultSchema(Schema(Database.ProviderName));
        model.Entity<SubjectKey>(e =>
        {
            e.ToTable("subject_keys");
            e.HasKey(k => k.SubjectId);
            e.Property(k => k.SubjectId).HasColumnName("subject_id").ValueGeneratedNever();
            e.Property(k => k.Version).HasColumnName("version");
            e.Property(k => k.MasterVersion).HasColumnName("master_version");
            e.Property(k => k.Wrapped).HasColumnName("wrapped");
            e.Property(k => k.CreatedAt).HasColumnName("created_at");
            e.HasIndex(k => k.MasterVersion);
        });
    }
}

/// <summary>The key store's one table, for both providers.</summary>
[DbContext(typeof(KeyStoreDb))]
[Migration("20261122090000_SubjectKeys")]
public sealed class SubjectKeysMigration : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var schema = KeyStoreDb.Schema(migrationBuilder.ActiveProvider);
        if (schema is not null)
        {
            migrationBuilder.EnsureSchema(schema);
        }

        migrationBuilder.CreateTable(
            name: "subject_keys",
            schema: schema,
            columns: table => new
            {
                subject_id = table.Column<Guid>(nullable: false),
                version = table.Column<int>(nullable: false),
                master_version = table.Column<int>(nullable: false),
                wrapped = table.Column<byte[]>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_subject_keys", x => x.subject_id));
        migrationBuilder.CreateIndex("ix_subject_keys_master_version", "subject_keys", "master_version", schema);
    }

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropTable("subject_keys", KeyStoreDb.Schema(migrationBuilder.ActiveProvider));
}
