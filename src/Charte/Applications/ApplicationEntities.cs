namespace Charte.Applications;

/// <summary>An application that calls the vault API, and the purposes of the charter it may use.</summary>
public sealed class Application
{
    public Guid Id { get; set; }
    public required string Name { get; set; }

    /// <summary>Purpose ids, space-separated: a short list read on every request, never queried by SQL.</summary>
    public required string Purposes { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Roles beyond the purposes, space-separated: <c>archivist</c> may read the intermediate archive.</summary>
    public string Roles { get; set; } = "";

    public IReadOnlyList<string> PurposeList => Purposes.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public IReadOnlyList<string> RoleList => Roles.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>An API key: its public id and the SHA-256 of its secret. The secret is shown once, when the key is made.</summary>
public sealed class ApiKey
{
    public required string Id { get; set; }
    public Guid ApplicationId { get; set; }
    public required byte[] SecretHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
