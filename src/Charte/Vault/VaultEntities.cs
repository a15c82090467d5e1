namespace Charte.Vault;

/// <summary>A person whose data the vault holds. Carries no personal data: identifiers live as blind indexes, values as ciphertext.</summary>
public sealed class Subject
{
    public Guid Id { get; set; }

    /// <summary>The keyed pseudonym that stands for the person in the journal and the ledger.</summary>
    public required string Pseudonym { get; set; }

    /// <summary>The charter's subject category (<c>customer</c>, <c>prospect</c>), when the application says it.</summary>
    public string? Category { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Set when the person's data key was destroyed: the row stays as a tombstone so that the API answers 410.</summary>
    public DateTime? ShreddedAt { get; set; }
}

/// <summary>A blind index: HMAC of a normalised identifier (e-mail, phone, customer number), never the identifier itself.</summary>
public sealed class SubjectIdentifier
{
    public required byte[] BlindIndex { get; set; }
    public required string Kind { get; set; }
    public Guid SubjectId { get; set; }
}

/// <summary>One value of one category for one subject under one purpose, encrypted with the subject's data key.</summary>
public sealed class DataRecord
{
    public Guid Id { get; set; }
    public Guid SubjectId { get; set; }
    public required string Purpose { get; set; }
    public required string Category { get; set; }

    /// <summary>AES-256-GCM ciphertext of the value's JSON, bound to subject, record and key version.</summary>
    public required byte[] Value { get; set; }

    public int KeyVersion { get; set; }
    public required string Source { get; set; }
    public DateTime CollectedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>Set when the retention clock moves the record to the intermediate archive.</summary>
    public DateTime? ArchivedAt { get; set; }
}

/// <summary>A file attached to a subject and purpose. Its fingerprint is recorded at write and checked on every read.</summary>
public sealed class Document
{
    public Guid Id { get; set; }
    public Guid SubjectId { get; set; }
    public required string Purpose { get; set; }
    public required string Category { get; set; }

    /// <summary>The file name, encrypted: "CNI_Jean_Dupont.pdf" is personal data.</summary>
    public required byte[] Name { get; set; }

    public required string MediaType { get; set; }
    public long Size { get; set; }

    /// <summary>SHA-256 of the stored bytes (the ciphertext): checked before anything is decrypted or served.</summary>
    public required byte[] Sha256 { get; set; }

    /// <summary>HMAC-SHA-256 of the plaintext under the subject's key: a commitment that becomes unlinkable once the key is shredded.</summary>
    public required byte[] ContentHmac { get; set; }

    public int KeyVersion { get; set; }
    public required string Source { get; set; }
    public DateTime CollectedAt { get; set; }
    public DateTime? ArchivedAt { get; set; }
}

/// <summary>The stored bytes of a document, kept apart so that listing documents never loads them.</summary>
public sealed class DocumentContent
{
    public Guid DocumentId { get; set; }
    public required byte[] Content { get; set; }
}

/// <summary>A dated lifecycle fact (<c>last_contact</c>, <c>contract_end</c>, <c>death</c>…) that starts a retention clock.</summary>
public sealed class SubjectEvent
{
    public long Id { get; set; }
    public Guid SubjectId { get; set; }
    public required string Event { get; set; }

    /// <summary>The purpose the event concerns, or null when it concerns the person as a whole.</summary>
    public string? Purpose { get; set; }

    public DateTime OccurredAt { get; set; }
    public DateTime RecordedAt { get; set; }
}

/// <summary>What the person has said about one purpose: restriction (Art. 18), objection (Art. 21), consent (Art. 7).</summary>
public sealed class PurposeState
{
    public Guid SubjectId { get; set; }
    public required string Purpose { get; set; }
    public bool Restricted { get; set; }
    public bool Objected { get; set; }
    public DateTime? ConsentGivenAt { get; set; }
    public DateTime? ConsentWithdrawnAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public bool ConsentGiven => ConsentGivenAt is not null && ConsentWithdrawnAt is null;
}
