using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Charte.Storage.Migrations;

/// <summary>Legal holds, what anonymisation keeps (unlinked from any subject), and applications' roles (archivist).</summary>
[DbContext(typeof(CharteDb))]
[Migration("20261122160000_Retention")]
public sealed class Retention : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "legal_holds",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                subject_id = table.Column<Guid>(nullable: true),
                purpose = table.Column<string>(maxLength: 64, nullable: true),
                category = table.Column<string>(maxLength: 128, nullable: true),
                reason = table.Column<string>(maxLength: 500, nullable: false),
                until = table.Column<DateTime>(nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                released_at = table.Column<DateTime>(nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_legal_holds", x => x.id));

        migrationBuilder.CreateTable(
            name: "anonymous_records",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                purpose = table.Column<string>(maxLength: 64, nullable: false),
                category = table.Column<string>(maxLength: 128, nullable: false),
                value = table.Column<string>(maxLength: 4000, nullable: true),
                collected_year = table.Column<int>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_anonymous_records", x => x.id));
        migrationBuilder.CreateIndex("ix_anonymous_records_purpose_category", "anonymous_records", ["purpose", "category"]);
        migrationBuilder.AddColumn<string>("roles", "applications", maxLength: 200, nullable: false, defaultValue: "");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropColumn("roles", "applications");
        migrationBuilder.DropTable("anonymous_records");
        migrationBuilder.DropTable("legal_holds");
    }
}
