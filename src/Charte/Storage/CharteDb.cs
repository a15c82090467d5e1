using Charte.Applications;
using Charte.Journal;
using Charte.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Charte.Storage;

/// <summary>
/// The data store, one model for SQLite and PostgreSQL. Migrations are written once, with column types left to the
/// provider, so that both stores follow the same history (<c>Storage/Migrations</c>).
/// </summary>
public sealed class CharteDb(DbContextOptions<CharteDb> options) : DbContext(options)
{
    public DbSet<Subject> Subjects => Set<Subject>();
    public DbSet<SubjectIdentifier> Identifiers => Set<SubjectIdentifier>();
    public DbSet<DataRecord> Records => Set<DataRecord>();
    public DbSet<Document> Documents => Set<Document>();
    public DbSet<DocumentContent> DocumentContents => Set<DocumentContent>();
    public DbSet<SubjectEvent> Events => Set<SubjectEvent>();
    public DbSet<PurposeState> PurposeStates => Set<PurposeState>();
    public DbSet<Application> Applications => Set<Application>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<JournalEntry> Journal => Set<JournalEntry>();
    public DbSet<Retention.LegalHold> Holds => Set<Retention.LegalHold>();
    public DbSet<Retention.AnonymousRecord> AnonymousRecords => Set<Retention.AnonymousRecord>();

    /// <summary>A factory outside the server's container, for the command line and the tests.</summary>
    public static IDbContextFactory<CharteDb> Factory(StoreLocation store)
    {
        var options = new DbContextOptionsBuilder<CharteDb>();
        Configure(options, store);
        return new PooledDbContextFactory<CharteDb>(options.Options);
    }

    public static void Configure(DbContextOptionsBuilder options, StoreLocation store)
    {
        switch (store.Provider)
        {
            case StoreProvider.Sqlite:
                options.UseSqlite(store.ConnectionString).AddInterceptors(SqliteDurability.Instance);
                break;
            case StoreProvider.PostgreSql:
                options.UseNpgsql(store.ConnectionString);
                break;
        }

        // The migrations are hand-written and provider-neutral, so there is no model snapshot to compare with;
        // MigrationsMatchModelTests checks the migrated schema against the model instead.
        options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        var npgsql = Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL";

        model.Entity<Subject>(e =>
        {
            e.ToTable("subjects");
            e.HasKey(s => s.Id);
            e.Property(s => s.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(s => s.Pseudonym).HasColumnName("pseudonym").HasMaxLength(32);
            e.Property(s => s.Category).HasColumnName("category").HasMaxLength(64);
            e.Property(s => s.CreatedAt).HasColumnName("created_at");
            e.Property(s => s.ShreddedAt).HasColumnName("shredded_at");
        });

        model.Entity<SubjectIdentifier>(e =>
        {
            e.ToTable("subject_identifiers");
            e.HasKey(i => i.BlindIndex);
            e.Property(i => i.BlindIndex).HasColumnName("blind_index");
            e.Property(i => i.Kind).HasColumnName("kind").HasMaxLength(32);
            e.Property(i => i.SubjectId).HasColumnName("subject_id");
            e.HasIndex(i => i.SubjectId);
            e.HasOne<Subject>().WithMany().HasForeignKey(i => i.SubjectId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<DataRecord>(e =>
        {
            e.ToTable("records");
            e.HasKey(r => r.Id);
            e.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(r => r.SubjectId).HasColumnName("subject_id");
            e.Property(r => r.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(r => r.Category).HasColumnName("category").HasMaxLength(128);
            e.Property(r => r.Value).HasColumnName("value");
            e.Property(r => r.KeyVersion).HasColumnName("key_version");
            e.Property(r => r.Source).HasColumnName("source").HasMaxLength(16);
            e.Property(r => r.CollectedAt).HasColumnName("collected_at");
            e.Property(r => r.UpdatedAt).HasColumnName("updated_at");
            e.Property(r => r.ArchivedAt).HasColumnName("archived_at");
            e.HasIndex(r => new { r.SubjectId, r.Purpose, r.Category }).IsUnique();
            e.HasOne<Subject>().WithMany().HasForeignKey(r => r.SubjectId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Document>(e =>
        {
            e.ToTable("documents");
            e.HasKey(d => d.Id);
            e.Property(d => d.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(d => d.SubjectId).HasColumnName("subject_id");
            e.Property(d => d.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(d => d.Category).HasColumnName("category").HasMaxLength(128);
            e.Property(d => d.Name).HasColumnName("name");
            e.Property(d => d.MediaType).HasColumnName("media_type").HasMaxLength(128);
            e.Property(d => d.Size).HasColumnName("size");
            e.Property(d => d.Sha256).HasColumnName("sha256");
            e.Property(d => d.ContentHmac).HasColumnName("content_hmac");
            e.Property(d => d.KeyVersion).HasColumnName("key_version");
            e.Property(d => d.Source).HasColumnName("source").HasMaxLength(16);
            e.Property(d => d.CollectedAt).HasColumnName("collected_at");
            e.Property(d => d.ArchivedAt).HasColumnName("archived_at");
            e.HasIndex(d => new { d.SubjectId, d.Purpose });
            e.HasOne<Subject>().WithMany().HasForeignKey(d => d.SubjectId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<DocumentContent>(e =>
        {
            e.ToTable("document_contents");
            e.HasKey(c => c.DocumentId);
            e.Property(c => c.DocumentId).HasColumnName("document_id").ValueGeneratedNever();
            e.Property(c => c.Content).HasColumnName("content");
            e.HasOne<Document>().WithOne().HasForeignKey<DocumentContent>(c => c.DocumentId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<SubjectEvent>(e =>
        {
            e.ToTable("subject_events");
            e.HasKey(v => v.Id);
            var id = e.Property(v => v.Id).HasColumnName("id").ValueGeneratedOnAdd();
            if (npgsql)
            {
                id.UseIdentityByDefaultColumn();
            }

            e.Property(v => v.SubjectId).HasColumnName("subject_id");
            e.Property(v => v.Event).HasColumnName("event").HasMaxLength(64);
            e.Property(v => v.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(v => v.OccurredAt).HasColumnName("occurred_at");
            e.Property(v => v.RecordedAt).HasColumnName("recorded_at");
            e.HasIndex(v => new { v.SubjectId, v.Event });
            e.HasOne<Subject>().WithMany().HasForeignKey(v => v.SubjectId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<PurposeState>(e =>
        {
            e.ToTable("purpose_states");
            e.HasKey(p => new { p.SubjectId, p.Purpose });
            e.Property(p => p.SubjectId).HasColumnName("subject_id");
            e.Property(p => p.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(p => p.Restricted).HasColumnName("restricted");
            e.Property(p => p.Objected).HasColumnName("objected");
            e.Property(p => p.ConsentGivenAt).HasColumnName("consent_given_at");
            e.Property(p => p.ConsentWithdrawnAt).HasColumnName("consent_withdrawn_at");
            e.Property(p => p.UpdatedAt).HasColumnName("updated_at");
            e.Ignore(p => p.ConsentGiven);
            e.HasOne<Subject>().WithMany().HasForeignKey(p => p.SubjectId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Application>(e =>
        {
            e.ToTable("applications");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(a => a.Name).HasColumnName("name").HasMaxLength(64);
            e.HasIndex(a => a.Name).IsUnique();
            e.Property(a => a.Purposes).HasColumnName("purposes").HasMaxLength(4000);
            e.Property(a => a.CreatedAt).HasColumnName("created_at");
            e.Property(a => a.Roles).HasColumnName("roles").HasMaxLength(200);
            e.Ignore(a => a.PurposeList);
            e.Ignore(a => a.RoleList);
        });

        model.Entity<ApiKey>(e =>
        {
            e.ToTable("api_keys");
            e.HasKey(k => k.Id);
            e.Property(k => k.Id).HasColumnName("id").HasMaxLength(32);
            e.Property(k => k.ApplicationId).HasColumnName("application_id");
            e.Property(k => k.SecretHash).HasColumnName("secret_hash");
            e.Property(k => k.CreatedAt).HasColumnName("created_at");
            e.Property(k => k.RevokedAt).HasColumnName("revoked_at");
            e.HasOne<Application>().WithMany().HasForeignKey(k => k.ApplicationId).OnDelete(DeleteBehavior.Restrict);
        });

        model.Entity<Retention.LegalHold>(e =>
        {
            e.ToTable("legal_holds");
            e.HasKey(h => h.Id);
            e.Property(h => h.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(h => h.SubjectId).HasColumnName("subject_id");
            e.Property(h => h.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(h => h.Category).HasColumnName("category").HasMaxLength(128);
            e.Property(h => h.Reason).HasColumnName("reason").HasMaxLength(500);
            e.Property(h => h.Until).HasColumnName("until");
            e.Property(h => h.CreatedAt).HasColumnName("created_at");
            e.Property(h => h.ReleasedAt).HasColumnName("released_at");
        });

        model.Entity<Retention.AnonymousRecord>(e =>
        {
            e.ToTable("anonymous_records");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).HasColumnName("id").ValueGeneratedNever();
            e.Property(a => a.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(a => a.Category).HasColumnName("category").HasMaxLength(128);
            e.Property(a => a.Value).HasColumnName("value").HasMaxLength(4000);
            e.Property(a => a.CollectedYear).HasColumnName("collected_year");
            e.Property(a => a.CreatedAt).HasColumnName("created_at");
        });

        model.Entity<JournalEntry>(e =>
        {
            e.ToTable("journal");
            e.HasKey(j => j.Id);
            var id = e.Property(j => j.Id).HasColumnName("id").ValueGeneratedOnAdd();
            if (npgsql)
            {
                id.UseIdentityByDefaultColumn();
            }

            e.Property(j => j.At).HasColumnName("at");
            e.Property(j => j.Actor).HasColumnName("actor").HasMaxLength(80);
            e.Property(j => j.Action).HasColumnName("action").HasMaxLength(64);
            e.Property(j => j.Subject).HasColumnName("subject").HasMaxLength(32);
            e.Property(j => j.Purpose).HasColumnName("purpose").HasMaxLength(64);
            e.Property(j => j.Outcome).HasColumnName("outcome").HasMaxLength(64);
            e.Property(j => j.Detail).HasColumnName("detail").HasMaxLength(1000);
        });
    }
}
