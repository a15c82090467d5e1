using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Charte.Storage.Migrations;

/// <summary>
/// The vault's tables. Written by hand, once for both providers: no column type is named, so each provider maps the
/// CLR type (uuid/TEXT, bytea/BLOB, timestamptz/TEXT) and ignores the other's annotations.
/// </summary>
[DbContext(typeof(CharteDb))]
[Migration("20261122090000_Vault")]
public sealed class Vault : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "subjects",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                pseudonym = table.Column<string>(maxLength: 32, nullable: false),
                category = table.Column<string>(maxLength: 64, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                shredded_at = table.Column<DateTime>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_subjects", x => x.id));
        migrationBuilder.CreateIndex("ix_subjects_pseudonym", "subjects", "pseudonym", unique: true);

        migrationBuilder.CreateTable(
            name: "subject_identifiers",
            columns: table => new
            {
                blind_index = table.Column<byte[]>(nullable: false),
                kind = table.Column<string>(maxLength: 32, nullable: false),
                subject_id = table.Column<Guid>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_subject_identifiers", x => x.blind_index);
                table.ForeignKey("fk_subject_identifiers_subjects", x => x.subject_id, "subjects", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("ix_subject_identifiers_subject_id", "subject_identifiers", "subject_id");

        migrationBuilder.CreateTable(
            name: "records",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                subject_id = table.Column<Guid>(nullable: false),
                purpose = table.Column<string>(maxLength: 64, nullable: false),
                category = table.Column<string>(maxLength: 128, nullable: false),
                value = table.Column<byte[]>(nullable: false),
                key_version = table.Column<int>(nullable: false),
                source = table.Column<string>(maxLength: 16, nullable: false),
                collected_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
                archived_at = table.Column<DateTime>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_records", x => x.id);
                table.ForeignKey("fk_records_subjects", x => x.subject_id, "subjects", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("ix_records_subject_purpose_category", "records", ["subject_id", "purpose", "category"], unique: true);

        migrationBuilder.CreateTable(
            name: "documents",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                subject_id = table.Column<Guid>(nullable: false),
                purpose = table.Column<string>(maxLength: 64, nullable: false),
                category = table.Column<string>(maxLength: 128, nullable: false),
                name = table.Column<byte[]>(nullable: false),
                media_type = table.Column<string>(maxLength: 128, nullable: false),
                size = table.Column<long>(nullable: false),
                sha256 = table.Column<byte[]>(nullable: false),
                content_hmac = table.Column<byte[]>(nullable: false),
                key_version = table.Column<int>(nullable: false),
                source = table.Column<string>(maxLength: 16, nullable: false),
                collected_at = table.Column<DateTime>(nullable: false),
                archived_at = table.Column<DateTime>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_documents", x => x.id);
                table.ForeignKey("fk_documents_subjects", x => x.subject_id, "subjects", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("ix_documents_subject_purpose", "documents", ["subject_id", "purpose"]);

        migrationBuilder.CreateTable(
            name: "document_contents",
            columns: table => new
            {
                document_id = table.Column<Guid>(nullable: false),
                content = table.Column<byte[]>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_document_contents", x => x.document_id);
                table.ForeignKey("fk_document_contents_documents", x => x.document_id, "documents", "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "subject_events",
            columns: table => new
            {
                id = table.Column<long>(nullable: false)
                    .Annotation("Sqlite:Autoincrement", true)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                subject_id = table.Column<Guid>(nullable: false),
                @event = table.Column<string>(name: "event", maxLength: 64, nullable: false),
                purpose = table.Column<string>(maxLength: 64, nullable: true),
                occurred_at = table.Column<DateTime>(nullable: false),
                recorded_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_subject_events", x => x.id);
                table.ForeignKey("fk_subject_events_subjects", x => x.subject_id, "subjects", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("ix_subject_events_subject_event", "subject_events", ["subject_id", "event"]);

        migrationBuilder.CreateTable(
            name: "purpose_states",
            columns: table => new
            {
                subject_id = table.Column<Guid>(nullable: false),
                purpose = table.Column<string>(maxLength: 64, nullable: false),
                restricted = table.Column<bool>(nullable: false),
                objected = table.Column<bool>(nullable: false),
                consent_given_at = table.Column<DateTime>(nullable: true),
                consent_withdrawn_at = table.Column<DateTime>(nullable: true),
                updated_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_purpose_states", x => new { x.subject_id, x.purpose });
                table.ForeignKey("fk_purpose_states_subjects", x => x.subject_id, "subjects", "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "applications",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 64, nullable: false),
                purposes = table.Column<string>(maxLength: 4000, nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_applications", x => x.id));
        migrationBuilder.CreateIndex("ix_applications_name", "applications", "name", unique: true);

        migrationBuilder.CreateTable(
            name: "api_keys",
            columns: table => new
            {
                id = table.Column<string>(maxLength: 32, nullable: false),
                application_id = table.Column<Guid>(nullable: false),
                secret_hash = table.Column<byte[]>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                revoked_at = table.Column<DateTime>(nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_api_keys", x => x.id);
                table.ForeignKey("fk_api_keys_applications", x => x.application_id, "applications", "id", onDelete: ReferentialAction.Restrict);
            });
        migrationBuilder.CreateIndex("ix_api_keys_application_id", "api_keys", "application_id");

        migrationBuilder.CreateTable(
            name: "journal",
            columns: table => new
            {
                id = table.Column<long>(nullable: false)
                    .Annotation("Sqlite:Autoincrement", true)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                at = table.Column<DateTime>(nullable: false),
                actor = table.Column<string>(maxLength: 80, nullable: false),
                action = table.Column<string>(maxLength: 64, nullable: false),
                subject = table.Column<string>(maxLength: 32, nullable: true),
                purpose = table.Column<string>(maxLength: 64, nullable: true),
                outcome = table.Column<string>(maxLength: 64, nullable: false),
                detail = table.Column<string>(maxLength: 1000, nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_journal", x => x.id));
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in new[] { "journal", "api_keys", "applications", "purpose_states", "subject_events", "document_contents", "documents", "records", "subject_identifiers", "subjects" })
        {
            migrationBuilder.DropTable(table);
        }
    }
}
