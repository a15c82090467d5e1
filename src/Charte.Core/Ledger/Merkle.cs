using System.Numerics;
using System.Security.Cryptography;

namespace Charte.Ledger;

/// <summary>
/// RFC 9162 §2.1 Merkle tree hashing with SHA-256: leaf = H(0x00 ‖ entry), node = H(0x01 ‖ left ‖ right), the empty
/// tree = H(""), and a tree of n &gt; 1 leaves splits at k, the largest power of two strictly below n.
/// </summary>
public static class Merkle
{
    public const int HashSize = 32;

    public static byte[] EmptyRoot { get; } = SHA256.HashData([]);

    public static byte[] LeafHash(ReadOnlySpan<byte> entry)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([0x00]);
        hash.AppendData(entry);
        return hash.GetHashAndReset();
    }

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var hash = new byte[HashSize];
        NodeHash(left, right, hash);
        return hash;
    }

    /// <summary>H(0x01 ‖ left ‖ right) into <paramref name="destination"/> (which may be one of the inputs).</summary>
    public static void NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * HashSize];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashSize)..]);
        var hash = Hasher;
        hash.AppendData(buffer);
        hash.GetHashAndReset(destination);
    }

    /// <summary>
    /// One SHA-256 context per thread, reset after each use: a tree of n leaves takes n - 1 node hashes, and for inputs
    /// this small setting up a new context costs about as much as the hashing itself.
    /// </summary>
    private static IncrementalHash Hasher => _hasher ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    [ThreadStatic]
    private static IncrementalHash? _hasher;

    /// <summary>The largest power of two strictly below <paramref name="n"/> (n ≥ 2).</summary>
    public static long Split(long n) => (long)(BitOperations.RoundUpToPowerOf2((ulong)n) >> 1);

    /// <summary>The root of the tree over the given leaf hashes (recomputed from scratch: for tests and verification).</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leaves)
    {
        var range = new CompactRange();
        foreach (var leaf in leaves)
        {
            range.Append(leaf);
        }

        return range.Root();
    }

    /// <summary>
    /// The hash of leaves [begin, end) from a source of perfect subtrees: a subtree of 2^level leaves starting at
    /// index × 2^level. Ranges that are not perfect are split as RFC 9162 splits them, so O(log n) lookups suffice.
    /// </summary>
    public static byte[] RangeHash(long begin, long end, Func<int, long, byte[]> node)
    {
        var size = end - begin;
        if (size <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(end), "an empty range has no hash");
        }

        if (BitOperations.IsPow2(size) && begin % size == 0)
        {
            return node(BitOperations.Log2((ulong)size), begin / size);
        }

        var k = Split(size);
        return NodeHash(RangeHash(begin, begin + k, node), RangeHash(begin + k, end, node));
    }

    /// <summary>RFC 9162 §2.1.3.1: the inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves.</summary>
    public static List<byte[]> InclusionProof(long index, long size, Func<int, long, byte[]> node)
    {
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"leaf {index} is not in a tree of {size} leaves");
        }

        var proof = new List<byte[]>();
        Path(index, 0, size, node, proof);
        return proof;
    }

    private static void Path(long m, long begin, long end, Func<int, long, byte[]> node, List<byte[]> proof)
    {
        var n = end - begin;
        if (n == 1)
        {
            return;
        }

        var k = Split(n);
        if (m < k)
        {
            Path(m, begin, begin + k, node, proof);
            proof.Add(RangeHash(begin + k, end, node));
        }
        else
        {
            Path(m - k, begin + k, end, node, proof);
            proof.Add(RangeHash(begin, begin + k, node));
        }
    }

    /// <summary>RFC 9162 §2.1.4.1: the consistency proof between the trees of <paramref name="first"/> and <paramref name="second"/> leaves.</summary>
    public static List<byte[]> ConsistencyProof(long first, long second, Func<int, long, byte[]> node)
    {
        if (first < 0 || first > second)
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"no consistency proof from {first} to {second} leaves");
        }

        var proof = new List<byte[]>();
        if (first > 0 && first < second)
        {
            SubProof(first, 0, second, true, node, proof);
        }

        return proof;
    }

    private static void SubProof(long m, long begin, long end, bool whole, Func<int, long, byte[]> node, List<byte[]> proof)
    {
        var n = end - begin;
        if (m == n)
        {
            if (!whole)
            {
                proof.Add(RangeHash(begin, end, node));
            }

            return;
        }

        var k = Split(n);
        if (m <= k)
        {
            SubProof(m, begin, begin + k, whole, node, proof);
            proof.Add(RangeHash(begin + k, end, node));
        }
        else
        {
            SubProof(m - k, begin + k, end, false, node, proof);
            proof.Add(RangeHash(begin, begin + k, node));
        }
    }

    /// <summary>
    /// RFC 9162 §2.1.3.2: does <paramref name="proof"/> show that <paramref name="leaf"/> is leaf <paramref name="index"/>
    /// of the tree of <paramref name="size"/> leaves whose root is <paramref name="root"/>?
    /// </summary>
    public static bool VerifyInclusion(long index, long size, ReadOnlySpan<byte> leaf, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        if (index < 0 || index >= size)
        {
            return false;
        }

        long fn = index, sn = size - 1;
        var r = leaf.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = NodeHash(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    /// <summary>RFC 9162 §2.1.4.2: does <paramref name="proof"/> show that the tree of <paramref name="second"/> leaves extends the one of <paramref name="first"/>?</summary>
    public static bool VerifyConsistency(long first, long second, ReadOnlySpan<byte> firstRoot, ReadOnlySpan<byte> secondRoot, IReadOnlyList<byte[]> proof)
    {
        if (first < 0 || first > second)
        {
            return false;
        }

        if (first == second)
        {
            return proof.Count == 0 && firstRoot.SequenceEqual(secondRoot);
        }

        if (first == 0)
        {
            return proof.Count == 0;
        }

        if (proof.Count == 0)
        {
            return false;
        }

        var path = new List<byte[]>(proof);
        if (BitOperations.IsPow2(first))
        {
            path.Insert(0, firstRoot.ToArray());
        }

        long fn = first - 1, sn = second - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        byte[] fr = path[0], sr = path[0];
        for (var i = 1; i < path.Count; i++)
        {
            var c = path[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = NodeHash(c, fr);
                sr = NodeHash(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = NodeHash(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && fr.AsSpan().SequenceEqual(firstRoot) && sr.AsSpan().SequenceEqual(secondRoot);
    }
}

/// <summary>
/// The right edge of a growing tree: the roots of its perfect subtrees, largest first. Appending a leaf merges equal
/// subtrees and reports each completed node, so a sequencer can store every perfect subtree as it is formed.
/// </summary>
public sealed class CompactRange
{
    // The edge's hashes, largest subtree first, packed: a tree has at most 64 of them, and appending allocates nothing.
    private readonly byte[] _hashes = new byte[64 * Merkle.HashSize];
    private int _count;

    public CompactRange()
    {
    }

    /// <summary>Resumes a tree of <paramref name="size"/> leaves from the roots of its perfect subtrees, largest first.</summary>
    public CompactRange(long size, IEnumerable<byte[]> hashes)
    {
        Size = size;
        foreach (var hash in hashes)
        {
            if (_count == 64)
            {
                break;
            }

            hash.AsSpan().CopyTo(Slot(_count++));
        }

        if (_count != BitOperations.PopCount((ulong)size))
        {
            throw new ArgumentException($"a tree of {size} leaves has {BitOperations.PopCount((ulong)size)} perfect subtrees on its right edge, not {_count}");
        }
    }

    private CompactRange(long size, byte[] hashes, int count)
    {
        Size = size;
        Array.Copy(hashes, _hashes, count * Merkle.HashSize);
        _count = count;
    }

    public long Size { get; private set; }

    public CompactRange Clone() => new(Size, _hashes, _count);

    /// <summary>
    /// The tree of <paramref name="left"/>'s leaves followed by <paramref name="right"/>'s, when the left one ends on a
    /// boundary of a perfect subtree larger than the right one: then the right edge of the whole is the left edge's
    /// subtrees followed by the right one's (this lets parts of a tree be hashed apart and joined).
    /// </summary>
    public static CompactRange Concat(CompactRange left, CompactRange right)
    {
        if (right.Size > 0 && (left.Size & (long)(BitOperations.RoundUpToPowerOf2((ulong)right.Size + 1) - 1)) != 0)
        {
            throw new ArgumentException($"a range of {right.Size} leaves cannot follow one of {left.Size}: they would share a subtree");
        }

        var joined = new CompactRange(left.Size + right.Size, left._hashes, left._count);
        Array.Copy(right._hashes, 0, joined._hashes, left._count * Merkle.HashSize, right._count * Merkle.HashSize);
        joined._count += right._count;
        return joined;
    }

    /// <summary>A range of <paramref name="size"/> leaves whose edge is this one's (a tree whose leaves stand for subtrees of that size).</summary>
    public CompactRange Scaled(long size) =>
        BitOperations.PopCount((ulong)size) == _count
            ? new(size, _hashes, _count)
            : throw new ArgumentException($"a tree of {size} leaves has {BitOperations.PopCount((ulong)size)} perfect subtrees on its right edge, not {_count}");

    /// <summary>The (level, index) of each perfect subtree on the right edge of a tree of <paramref name="size"/> leaves, largest first.</summary>
    public static IEnumerable<(int Level, long Index)> Edge(long size)
    {
        for (var level = 63; level >= 0; level--)
        {
            if ((size >> level & 1) == 1)
            {
                yield return (level, (size >> level) - 1);
            }
        }
    }

    /// <summary>Appends a leaf hash; <paramref name="completed"/> hears of every perfect subtree (level ≥ 1) it completes.</summary>
    public void Append(ReadOnlySpan<byte> leaf, Action<int, long, byte[]>? completed = null)
    {
        Span<byte> hash = stackalloc byte[Merkle.HashSize];
        leaf.CopyTo(hash);
        var index = Size;
        var level = 0;
        while ((index & 1) == 1)
        {
            Merkle.NodeHash(Slot(_count - 1), hash, hash);
            _count--;
            level++;
            index >>= 1;
            completed?.Invoke(level, index, hash.ToArray());
        }

        hash.CopyTo(Slot(_count++));
        Size++;
    }

    public byte[] Root()
    {
        if (_count == 0)
        {
            return Merkle.EmptyRoot;
        }

        Span<byte> root = stackalloc byte[Merkle.HashSize];
        Slot(_count - 1).CopyTo(root);
        for (var i = _count - 2; i >= 0; i--)
        {
            Merkle.NodeHash(Slot(i), root, root);
        }

        return root.ToArray();
    }

    private Span<byte> Slot(int i) => _hashes.AsSpan(i * Merkle.HashSize, Merkle.HashSize);
}
