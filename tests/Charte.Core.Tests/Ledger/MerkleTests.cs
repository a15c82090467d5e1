namespace Charte.Ledger;

/// <summary>
/// The RFC 6962 / RFC 9162 test vectors published by transparency-dev/merkle (testonly/constants.go): eight leaf
/// inputs, the hash of every perfect subtree, and the root of each tree of 0 to 8 leaves. Known proofs are read off
/// the node table, as RFC 9162 §2.1.3 and §2.1.4 define them.
/// </summary>
public sealed class MerkleTests
{
    private static readonly byte[][] Inputs = [.. new[] { "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" }.Select(Convert.FromHexString)];

    private static readonly string[][] Nodes =
    [
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7", "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f", "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ],
        [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ],
        ["d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
        ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
    ];

    private static readonly string[] Roots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    private static byte[] Node(int level, long index) => Convert.FromHexString(Nodes[level][index]);

    private static List<byte[]> Leaves(int n) => [.. Inputs.Take(n).Select(i => Merkle.LeafHash(i))];

    /// <summary>A node source computed from the leaves alone, as the ledger's storage would hold it.</summary>
    private static Func<int, long, byte[]> Tree(int n)
    {
        var leaves = Leaves(n);
        return (level, index) => Merkle.Root(leaves.Skip((int)(index << level)).Take(1 << level).ToList());
    }

    [Fact]
    public void LeafHashes_MatchTheVectors()
    {
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(Nodes[0][i], Convert.ToHexStringLower(Merkle.LeafHash(Inputs[i])));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Root_ForEachSize_MatchesTheVector(int size)
    {
        Assert.Equal(Roots[size], Convert.ToHexStringLower(Merkle.Root(Leaves(size))));
        if (size > 0)
        {
            Assert.Equal(Roots[size], Convert.ToHexStringLower(Merkle.RangeHash(0, size, Tree(8))));
        }
    }

    [Fact]
    public void CompactRange_ReportsEveryPerfectSubtree_AndResumesFromItsEdge()
    {
        var completed = new Dictionary<(int, long), string>();
        var range = new CompactRange();
        foreach (var leaf in Leaves(8))
        {
            range.Append(leaf, (level, index, hash) => completed[(level, index)] = Convert.ToHexStringLower(hash));
        }

        for (var level = 1; level < Nodes.Length; level++)
        {
            for (var index = 0; index < Nodes[level].Length; index++)
            {
                Assert.Equal(Nodes[level][index], completed[(level, index)]);
            }
        }

        for (var size = 0; size <= 7; size++)
        {
            var edge = CompactRange.Edge(size).Select(e => Node(e.Level, e.Index)).ToList();
            var resumed = new CompactRange(size, edge);
            foreach (var leaf in Leaves(8).Skip(size))
            {
                resumed.Append(leaf);
            }

            Assert.Equal(Roots[8], Convert.ToHexStringLower(resumed.Root()));
        }
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(8, 7)]
    [InlineData(16, 8)]
    [InlineData(24, 3)]
    [InlineData(32, 0)]
    public void CompactRanges_HashedApart_JoinIntoTheWholeTree(int left, int right)
    {
        var leaves = Enumerable.Range(0, left + right).Select(i => Merkle.LeafHash([(byte)i, 7])).ToList();
        var first = new CompactRange();
        var second = new CompactRange();
        leaves.Take(left).ToList().ForEach(l => first.Append(l));
        leaves.Skip(left).ToList().ForEach(l => second.Append(l));

        var joined = CompactRange.Concat(first, second);

        Assert.Equal(left + right, joined.Size);
        Assert.Equal(Merkle.Root(leaves), joined.Root());
    }

    [Theory]
    [InlineData(8, 8)]
    [InlineData(12, 4)]
    [InlineData(3, 1)]
    public void CompactRanges_ThatWouldShareASubtree_AreNotJoined(int left, int right)
    {
        var first = new CompactRange();
        var second = new CompactRange();
        Enumerable.Range(0, left).ToList().ForEach(i => first.Append(Merkle.LeafHash([(byte)i])));
        Enumerable.Range(0, right).ToList().ForEach(i => second.Append(Merkle.LeafHash([(byte)i])));

        Assert.Throws<ArgumentException>(() => CompactRange.Concat(first, second));
    }

    public static TheoryData<long, long, string[]> InclusionVectors => new()
    {
        { 0, 1, [] },
        { 0, 8, ["0,1", "1,1", "2,1"] },
        { 5, 8, ["0,4", "1,3", "2,0"] },
        { 2, 3, ["1,0"] },
        { 1, 5, ["0,0", "1,1", "0,4"] },
        { 4, 5, ["2,0"] },
    };

    [Theory]
    [MemberData(nameof(InclusionVectors))]
    public void InclusionProof_IsTheKnownPath_AndVerifies(long index, long size, string[] expected)
    {
        var proof = Merkle.InclusionProof(index, size, Tree(8));
        Assert.Equal(expected.Select(Named), proof.Select(Convert.ToHexStringLower));
        var root = Convert.FromHexString(Roots[size]);
        Assert.True(Merkle.VerifyInclusion(index, size, Merkle.LeafHash(Inputs[index]), proof, root));
        Assert.False(Merkle.VerifyInclusion(index, size, Merkle.LeafHash([0xff]), proof, root), "another entry must not verify");
        if (proof.Count > 0)
        {
            Assert.False(Merkle.VerifyInclusion(index, size, Merkle.LeafHash(Inputs[index]), proof.Skip(1).ToList(), root), "a truncated proof must not verify");
        }
    }

    public static TheoryData<long, long, string[]> ConsistencyVectors => new()
    {
        { 1, 1, [] },
        { 1, 8, ["0,1", "1,1", "2,1"] },
        { 6, 8, ["1,2", "1,3", "2,0"] },
        { 2, 5, ["1,1", "0,4"] },
        { 3, 7, ["0,2", "0,3", "1,0", "2,1"] },
        { 4, 8, ["2,1"] },
    };

    [Theory]
    [MemberData(nameof(ConsistencyVectors))]
    public void ConsistencyProof_IsTheKnownPath_AndVerifies(long first, long second, string[] expected)
    {
        var proof = Merkle.ConsistencyProof(first, second, Tree(8));
        var labelled = expected.Select(Named).ToList();
        if (first == 3 && second == 7)
        {
            // MTH(D[4:7]) is not a perfect subtree: RFC 9162 gives it as the hash of its two parts.
            labelled[3] = Convert.ToHexStringLower(Merkle.NodeHash(Node(1, 2), Node(0, 6)));
        }

        Assert.Equal(labelled, proof.Select(Convert.ToHexStringLower));
        var a = Convert.FromHexString(Roots[first]);
        var b = Convert.FromHexString(Roots[second]);
        Assert.True(Merkle.VerifyConsistency(first, second, a, b, proof));
        if (first != second)
        {
            Assert.False(Merkle.VerifyConsistency(first, second, Convert.FromHexString(Roots[first - 1]), b, proof), "another first root must not verify");
            Assert.False(Merkle.VerifyConsistency(first, second, a, Convert.FromHexString(Roots[second - 1]), proof), "another second root must not verify");
        }
    }

    [Fact]
    public void EveryProof_OfEveryTreeUpTo64Leaves_Verifies()
    {
        var inputs = Enumerable.Range(0, 64).Select(i => BitConverter.GetBytes(i * 7919)).ToList();
        var leaves = inputs.Select(i => Merkle.LeafHash(i)).ToList();
        byte[] Node64(int level, long index) => Merkle.Root(leaves.Skip((int)(index << level)).Take(1 << level).ToList());
        for (var size = 1; size <= 64; size++)
        {
            var root = Merkle.Root(leaves.Take(size).ToList());
            for (var i = 0; i < size; i++)
            {
                Assert.True(Merkle.VerifyInclusion(i, size, leaves[i], Merkle.InclusionProof(i, size, Node64), root), $"leaf {i} of {size}");
            }

            for (var first = 1; first <= size; first++)
            {
                var before = Merkle.Root(leaves.Take(first).ToList());
                Assert.True(Merkle.VerifyConsistency(first, size, before, root, Merkle.ConsistencyProof(first, size, Node64)), $"{first} → {size}");
            }
        }
    }

    private static string Named(string position)
    {
        var parts = position.Split(',');
        return Nodes[int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture)][int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)];
    }
}
