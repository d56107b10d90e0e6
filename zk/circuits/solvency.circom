pragma circom 2.1.6;

// Private solvency attestation (docs/zk.md).
//
// Proves, without saying which leaf: "I know the secret behind a SolvencySnapshots leaf in the tree whose root is
// `root`, and that leaf's health, debt, score, flag and time satisfy `predicate`"; binds a nullifier to (secret,
// scope) and the proof to `message`.
//
// Public inputs, in this order (SolvencyGate passes them so): root, nullifier, scope, message, predicate.
//
// Both packed words share one layout (SolvencySnapshots.packFields / SolvencyGate.packClaim), low bits first:
//   bits   0– 63  health, WAD (leaf: capped at 2^64-1)          | minHealth
//   bits  64–159  debt, base units                              | maxDebt
//   bits 160–191  risk score, millionths of a σ (capped)        | minScore
//   bits 192–231  timestamp, seconds                            | minTimestamp
//   bit  232      flagged or provisioned                        | requireUnflagged
// Each word is split into exactly 233 bits (Num2Bits), so every field on both sides of every comparison is range
// checked by construction: no comparator sees an input wider than its bit width (the comparator-aliasing bug).
//
// The tree is SolvencySnapshots' lean incremental Merkle tree: a node whose right sibling does not exist yet is
// carried up unchanged, which a proof says with a zero sibling (only for a left child); `depth` is the tree's depth at
// `root`. A leaf is Poseidon(idCommitment, fields, 1) and a node Poseidon(left, right): different widths, so no node
// can be passed off as a leaf and no proof can start below the real leaves.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// Splits a packed word into its five fields; the word must fit 233 bits.
template Unpack() {
    signal input word;
    signal output health;
    signal output debt;
    signal output score;
    signal output time;
    signal output flag;

    component bits = Num2Bits(233);
    bits.in <== word;

    var h = 0;
    for (var i = 0; i < 64; i++) h += bits.out[i] * (1 << i);
    var d = 0;
    for (var i = 0; i < 96; i++) d += bits.out[64 + i] * (1 << i);
    var s = 0;
    for (var i = 0; i < 32; i++) s += bits.out[160 + i] * (1 << i);
    var t = 0;
    for (var i = 0; i < 40; i++) t += bits.out[192 + i] * (1 << i);
    health <== h;
    debt <== d;
    score <== s;
    time <== t;
    flag <== bits.out[232];
}

// Root of the lean tree from a leaf, its index and its siblings (0: no sibling at that level, the node is carried).
template LeanMerkleRoot(MAX_DEPTH) {
    signal input leaf;
    signal input index;
    signal input depth;
    signal input siblings[MAX_DEPTH];
    signal output root;

    component indexBits = Num2Bits(MAX_DEPTH);
    indexBits.in <== index;

    // 0 ≤ depth ≤ MAX_DEPTH (5 bits, then compared), so exactly one level below is the root's.
    component depthBits = Num2Bits(5);
    depthBits.in <== depth;
    component depthFits = LessEqThan(5);
    depthFits.in[0] <== depth;
    depthFits.in[1] <== MAX_DEPTH;
    depthFits.out === 1;

    signal nodes[MAX_DEPTH + 1];
    signal left[MAX_DEPTH];
    signal right[MAX_DEPTH];
    signal hashed[MAX_DEPTH];
    signal carried[MAX_DEPTH];
    signal picked[MAX_DEPTH + 1];
    component hashes[MAX_DEPTH];
    component absent[MAX_DEPTH];
    component isRoot[MAX_DEPTH + 1];
    nodes[0] <== leaf;
    for (var i = 0; i < MAX_DEPTH; i++) {
        // bit 1: the node is a right child, its sibling on the left.
        left[i] <== nodes[i] + indexBits.out[i] * (siblings[i] - nodes[i]);
        right[i] <== siblings[i] + indexBits.out[i] * (nodes[i] - siblings[i]);
        hashes[i] = Poseidon(2);
        hashes[i].inputs[0] <== left[i];
        hashes[i].inputs[1] <== right[i];
        absent[i] = IsZero();
        absent[i].in <== siblings[i];
        // A right child always has its left sibling: only a left child may be carried.
        absent[i].out * indexBits.out[i] === 0;
        hashed[i] <== (1 - absent[i].out) * hashes[i].out;
        carried[i] <== absent[i].out * nodes[i];
        nodes[i + 1] <== hashed[i] + carried[i];
    }
    // root = nodes[depth]
    var acc = 0;
    for (var i = 0; i <= MAX_DEPTH; i++) {
        isRoot[i] = IsEqual();
        isRoot[i].in[0] <== depth;
        isRoot[i].in[1] <== i;
        picked[i] <== isRoot[i].out * nodes[i];
        acc += picked[i];
    }
    root <== acc;
}

template SolvencyAttestation(MAX_DEPTH) {
    // public
    signal input root;
    signal input nullifier;
    signal input scope;
    signal input message;
    signal input predicate;
    // private
    signal input secret;
    signal input fields;
    signal input index;
    signal input depth;
    signal input siblings[MAX_DEPTH];

    // The identity: idCommitment = Poseidon(secret).
    component id = Poseidon(1);
    id.inputs[0] <== secret;

    // The leaf as SolvencySnapshots hashed it: three inputs, the last the leaf domain (1).
    component leaf = Poseidon(3);
    leaf.inputs[0] <== id.out;
    leaf.inputs[1] <== fields;
    leaf.inputs[2] <== 1;

    component tree = LeanMerkleRoot(MAX_DEPTH);
    tree.leaf <== leaf.out;
    tree.index <== index;
    tree.depth <== depth;
    for (var i = 0; i < MAX_DEPTH; i++) tree.siblings[i] <== siblings[i];
    tree.root === root;

    component have = Unpack();
    have.word <== fields;
    component want = Unpack();
    want.word <== predicate;

    // health ≥ minHealth (64 bits each)
    component healthOk = GreaterEqThan(64);
    healthOk.in[0] <== have.health;
    healthOk.in[1] <== want.health;
    healthOk.out === 1;
    // debt ≤ maxDebt (96 bits each)
    component debtOk = LessEqThan(96);
    debtOk.in[0] <== have.debt;
    debtOk.in[1] <== want.debt;
    debtOk.out === 1;
    // score ≥ minScore (32 bits each)
    component scoreOk = GreaterEqThan(32);
    scoreOk.in[0] <== have.score;
    scoreOk.in[1] <== want.score;
    scoreOk.out === 1;
    // timestamp ≥ minTimestamp (40 bits each)
    component timeOk = GreaterEqThan(40);
    timeOk.in[0] <== have.time;
    timeOk.in[1] <== want.time;
    timeOk.out === 1;
    // unflagged when required
    have.flag * want.flag === 0;

    // nullifier = Poseidon(scope, secret): one per identity and scope.
    component nul = Poseidon(2);
    nul.inputs[0] <== scope;
    nul.inputs[1] <== secret;
    nul.out === nullifier;

    // The message takes part in the proof (a square, so the compiler keeps it): another message, another proof.
    signal messageSquared;
    messageSquared <== message * message;
}

component main {public [root, nullifier, scope, message, predicate]} = SolvencyAttestation(24);
