#!/usr/bin/env python3
"""An independent check of a Charte ledger export, from RFC 9162 alone: recompute the tree from entries.jsonl and
compare each checkpoint's root, and check each consistency proof. Prints "ok" or the first mismatch."""
import base64, hashlib, os, sys

def leaf(data): return hashlib.sha256(b"\x00" + data).digest()
def node(l, r): return hashlib.sha256(b"\x01" + l + r).digest()

def mth(hashes):
    if not hashes: return hashlib.sha256(b"").digest()
    if len(hashes) == 1: return hashes[0]
    k = 1
    while k * 2 < len(hashes): k *= 2
    return node(mth(hashes[:k]), mth(hashes[k:]))

def verify_consistency(m, n, first, second, proof):
    if m == n: return not proof and first == second
    path = list(proof)
    if m & (m - 1) == 0: path.insert(0, first)
    fn, sn = m - 1, n - 1
    while fn & 1: fn >>= 1; sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0: return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1; sn >>= 1
    return sn == 0 and fr == first and sr == second

folder = sys.argv[1]
with open(os.path.join(folder, "entries.jsonl"), "rb") as f:
    leaves = [leaf(line.rstrip(b"\n")) for line in f]
roots = {}
for name in sorted(os.listdir(os.path.join(folder, "checkpoints"))):
    if not name.endswith(".body"): continue
    origin, size, root = open(os.path.join(folder, "checkpoints", name)).read().split("\n")[:3]
    size = int(size); roots[size] = base64.b64decode(root)
    if mth(leaves[:size]) != roots[size]:
        print(f"checkpoint {size}: root does not match entries.jsonl"); sys.exit(1)
for name in os.listdir(os.path.join(folder, "proofs")):
    m, n = map(int, name[len("consistency-"):-len(".txt")].split("-"))
    proof = [base64.b64decode(l) for l in open(os.path.join(folder, "proofs", name)).read().split()]
    if not verify_consistency(m, n, roots[m], roots[n], proof):
        print(f"consistency {m} -> {n} does not verify"); sys.exit(1)
print("ok")
