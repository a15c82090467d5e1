using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Charte.Storage.Migrations;

/// <summary>
/// Drops the unique index on subjects' pseudonyms. No query looks a subject up by its pseudonym (the journal names
/// subjects by it; the vault finds them by id or blind index), and a pseudonym is 96 bits of an HMAC of a random id, so
/// two subjects sharing one is as likely as two UUIDs colliding. The index cost every new subject a write at a random
/// place of a growing B-tree: about a sixth of an import's time on a store of a million records.
/// </summary>
[DbContext(typeof(CharteDb))]
[Migration("20261123190000_PseudonymIndex")]
public sealed class PseudonymIndex : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropIndex("ix_subjects_pseudonym", "subjects");

    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateIndex("ix_subjects_pseudonym", "subjects", "pseudonym", unique: true);
}
