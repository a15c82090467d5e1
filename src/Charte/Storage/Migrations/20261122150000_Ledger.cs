using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Charte.Storage.Migrations;

/// <summary>
/// The ledger's tables (leaves, perfect-subtree hashes, checkpoints), and append-only triggers on them and on the
/// journal: an UPDATE, DELETE or TRUNCATE is refused by the database itself.
/// </summary>
[DbContext(typeof(CharteDb))]
[Migration("20261122150000_Ledger")]
public sealed class Ledger : Migration
{
    private static readonly string[] AppendOnly = ["journal", "ledger_leaves", "ledger_nodes", "ledger_checkpoints"];

    private static bool IsNpgsql(MigrationBuilder builder) => builder.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL";

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "ledger_leaves",
            columns: table => new
            {
                idx = table.Column<long>(nullable: false),
                entry_id = table.Column<long>(nullable: false),
                hash = table.Column<byte[]>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_ledger_leaves", x => x.idx));
        migrationBuilder.CreateIndex("ix_ledger_leaves_entry_id", "ledger_leaves", "entry_id", unique: true);

        migrationBuilder.CreateTable(
            name: "ledger_nodes",
            columns: table => new
            {
                level = table.Column<int>(nullable: false),
                idx = table.Column<long>(nullable: false),
                hash = table.Column<byte[]>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_ledger_nodes", x => new { x.level, x.idx }));

        migrationBuilder.CreateTable(
            name: "ledger_checkpoints",
            columns: table => new
            {
                tree_size = table.Column<long>(nullable: false),
                root = table.Column<byte[]>(nullable: false),
                note = table.Column<string>(nullable: false),
                timestamp_token = table.Column<byte[]>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_ledger_checkpoints", x => x.tree_size));

        if (IsNpgsql(migrationBuilder))
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION charte_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$;
                """);
            foreach (var table in AppendOnly)
            {
                migrationBuilder.Sql($"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION charte_append_only();");
                migrationBuilder.Sql($"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION charte_append_only();");
            }
        }
        else
        {
            foreach (var table in AppendOnly)
            {
                migrationBuilder.Sql($"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;");
                migrationBuilder.Sql($"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;");
            }
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var table in AppendOnly)
        {
            migrationBuilder.Sql(IsNpgsql(migrationBuilder)
                ? $"DROP TRIGGER IF EXISTS {table}_append_only ON {table}; DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"
                : $"DROP TRIGGER IF EXISTS {table}_no_update; DROP TRIGGER IF EXISTS {table}_no_delete;");
        }

        if (IsNpgsql(migrationBuilder))
        {
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS charte_append_only();");
        }

        migrationBuilder.DropTable("ledger_checkpoints");
        migrationBuilder.DropTable("ledger_nodes");
        migrationBuilder.DropTable("ledger_leaves");
    }
}
