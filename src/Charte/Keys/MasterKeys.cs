using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Charte.Keys;

/// <summary>A key file that cannot be used, with a message that says what to do.</summary>
public sealed class KeyFileException(string message) : Exception(message);

/// <summary>
/// The master keys, which live outside the database: a key file made by <c>charte keys init</c> (mode 0600), or one key
/// in the environment. Each master-key version yields a key-encryption key (HKDF) that wraps subjects' data keys;
/// <c>charte keys rotate</c> adds a version and re-wraps the data keys without touching the data. The index key, which
/// makes blind indexes and pseudonyms, does not rotate: an index cannot be recomputed without the identifiers.
/// </summary>
public sealed class MasterKeys
{
    public const int Format = 1;
    private const int KeyBytes = 32;

    private readonly SortedDictionary<int, (byte[] Key, DateTimeOffset Created)> _masters;
    private readonly Dictionary<int, byte[]> _keks = [];
    private readonly byte[] _indexKey;

    private MasterKeys(SortedDictionary<int, (byte[], DateTimeOffset)> masters, int current, byte[] indexKey)
    {
        _masters = masters;
        Current = current;
        _indexKey = indexKey;
        PseudonymKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, indexKey, KeyBytes, info: Encoding.ASCII.GetBytes("charte/pseudonym/v1"));
        BlindIndexKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, indexKey, KeyBytes, info: Encoding.ASCII.GetBytes("charte/blind-index/v1"));
    }

    /// <summary>The master-key version that wraps new data keys.</summary>
    public int Current { get; private set; }

    public IEnumerable<int> Versions => _masters.Keys;

    /// <summary>Key of the HMACs that stand for identifiers (blind indexes).</summary>
    public byte[] BlindIndexKey { get; }

    /// <summary>Key of the pseudonyms that stand for subjects in the journal and the ledger.</summary>
    public byte[] PseudonymKey { get; }

    /// <summary>The key-encryption key of one master-key version, or a <see cref="KeyFileException"/> when the file lacks it.</summary>
    public byte[] Kek(int version)
    {
        lock (_keks)
        {
            if (_keks.TryGetValue(version, out var kek))
            {
                return kek;
            }

            if (!_masters.TryGetValue(version, out var master))
            {
                throw new KeyFileException($"master key version {version} is not in the key file; was the file replaced by an older copy?");
            }

            kek = HKDF.DeriveKey(HashAlgorithmName.SHA256, master.Key, KeyBytes, info: Encoding.ASCII.GetBytes("charte/kek/v1"));
            _keks[version] = kek;
            return kek;
        }
    }

    public static MasterKeys Create(TimeProvider clock)
    {
        var masters = new SortedDictionary<int, (byte[], DateTimeOffset)> { [1] = (RandomNumberGenerator.GetBytes(KeyBytes), clock.GetUtcNow()) };
        return new MasterKeys(masters, 1, RandomNumberGenerator.GetBytes(KeyBytes));
    }

    /// <summary>One master key given as base64 (environment <c>CHARTE__KEYS__MASTER</c>): version 1, index key derived from it.</summary>
    public static MasterKeys FromBase64(string base64)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new KeyFileException("the master key in the environment is not base64; make one with: openssl rand -base64 32");
        }

        if (key.Length != KeyBytes)
        {
            throw new KeyFileException($"the master key in the environment is {key.Length} bytes; it must be {KeyBytes} (openssl rand -base64 32)");
        }

        var index = HKDF.DeriveKey(HashAlgorithmName.SHA256, key, KeyBytes, info: Encoding.ASCII.GetBytes("charte/index-key/v1"));
        return new MasterKeys(new SortedDictionary<int, (byte[], DateTimeOffset)> { [1] = (key, DateTimeOffset.UnixEpoch) }, 1, index);
    }

    /// <summary>Adds a master-key version and makes it current. Older versions stay until no data key uses them.</summary>
    public int Rotate(TimeProvider clock)
    {
        var next = _masters.Keys.Max() + 1;
        _masters[next] = (RandomNumberGenerator.GetBytes(KeyBytes), clock.GetUtcNow());
        Current = next;
        return next;
    }

    /// <summary>Forgets a master-key version: the caller has checked that no data key is wrapped by it.</summary>
    public void Retire(int version)
    {
        if (version == Current)
        {
            throw new InvalidOperationException("the current master key cannot be retired");
        }

        _masters.Remove(version);
        lock (_keks)
        {
            _keks.Remove(version);
        }
    }

    public static MasterKeys Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new KeyFileException($"{path}: no key file; create one with 'charte keys init --keys {path}'");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new KeyFileException($"{path}: other users can read this key file; run: chmod 600 {path}");
        }

        try
        {
            var root = JsonNode.Parse(File.ReadAllBytes(path))?.AsObject() ?? throw new KeyFileException($"{path}: empty key file");
            if ((int?)root["format"] != Format)
            {
                throw new KeyFileException($"{path}: not a Charte key file of format {Format}");
            }

            var masters = new SortedDictionary<int, (byte[], DateTimeOffset)>();
            foreach (var item in root["masters"]?.AsArray() ?? [])
            {
                var key = Convert.FromBase64String((string?)item?["key"] ?? "");
                if (key.Length != KeyBytes)
                {
                    throw new KeyFileException($"{path}: master key version {(int?)item?["version"]} is not {KeyBytes} bytes");
                }

                masters[(int?)item!["version"] ?? 0] = (key, (DateTimeOffset?)item["created"] ?? DateTimeOffset.UnixEpoch);
            }

            var current = (int?)root["current"] ?? 0;
            if (!masters.ContainsKey(current))
            {
                throw new KeyFileException($"{path}: the current master key version {current} is not in the file");
            }

            var index = Convert.FromBase64String((string?)root["index_key"] ?? "");
            if (index.Length != KeyBytes)
            {
                throw new KeyFileException($"{path}: the index key is missing or not {KeyBytes} bytes");
            }

            return new MasterKeys(masters, current, index);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new KeyFileException($"{path}: not a valid key file ({e.Message})");
        }
    }

    /// <summary>Writes the file atomically (temporary file, then rename), readable by its owner only.</summary>
    public void Save(string path)
    {
        var root = new JsonObject
        {
            ["format"] = Format,
            ["note"] = "Charte master keys. Keep this file outside the database and its backups: without it no subject's data can be read.",
            ["current"] = Current,
            ["index_key"] = Convert.ToBase64String(_indexKey),
            ["masters"] = new JsonArray([.. _masters.Select(m => (JsonNode)new JsonObject
            {
                ["version"] = m.Key,
                ["created"] = m.Value.Created,
                ["key"] = Convert.ToBase64String(m.Value.Key),
            })]),
        };

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, "." + Path.GetFileName(path) + ".tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
