//! The challenger's sans-IO core judged on batches built here: an honest chain verifies,
//! and every kind of bad batch is a mismatch, with the chain staying at the last good root.

use alloy_primitives::{Address, B256, Bytes, Signature, U256};
use alloy_sol_types::SolCall;
use rollup_executor::{BlockEnvInput, Executor};
use rollup_fraud_proof::{
    derive::{Position, PostedBatch, Verdict, Verifier, VerifyError},
    fault::{Fault, HeaderFault},
    prove as prover,
};
use rollup_types::{
    ChainConfig, RecoveredTx, SignedTx,
    bindings::L2System,
    codec::{self, Batch, BatchBlock},
    genesis::{DEV_ACCOUNTS, GenesisSpec, USDC},
    queue::{QueueEntry, QueueItem},
    signer::Signer,
};

mod accounting;
mod blob_vectors;
mod forge;
mod l1_replay;
mod lending_model;
mod prove;

const CHAIN: ChainConfig = ChainConfig { chain_id: 42_069, chunk_size: 2 };

fn transfer(amount: u64) -> Bytes {
    L2System::transferCall { token: USDC, to: Address::repeat_byte(9), amount: U256::from(amount) }.abi_encode().into()
}

/// Builds honest batches: a sequencer-side executor executes the blocks, the batch carries
/// its chunk roots.
struct Builder {
    executor: Executor,
    next_block: u64,
    nonce: u64,
    signer: Signer,
    /// The next queue entry, and the accumulator after the entries so far.
    queue_next: u64,
    queue_acc: B256,
}

impl Builder {
    fn new() -> Self {
        Self {
            executor: Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis"),
            next_block: 1,
            nonce: 0,
            signer: Signer::new(&DEV_ACCOUNTS[1].private_key).expect("key"),
            queue_next: 0,
            queue_acc: B256::ZERO,
        }
    }

    /// The next `n` queue entries: ether deposits to the signer.
    fn deposits(&mut self, n: u64) -> Vec<QueueEntry> {
        (0..n)
            .map(|_| {
                self.queue_next += 1;
                QueueEntry {
                    index: self.queue_next - 1,
                    from: Address::repeat_byte(0x0f),
                    l1_block: 50 + self.queue_next,
                    item: QueueItem::Deposit {
                        to: self.signer.address(),
                        l1_token: Address::ZERO,
                        amount: U256::from(1_000 * self.queue_next),
                        meta: U256::from(18u8),
                    },
                }
            })
            .collect()
    }

    fn txs(&mut self, n: usize) -> Vec<SignedTx> {
        (0..n)
            .map(|_| {
                self.nonce += 1;
                self.signer.eip1559(CHAIN.chain_id, self.nonce - 1, transfer(self.nonce))
            })
            .collect()
    }

    /// A batch of blocks with the given numbers of transactions.
    fn batch(&mut self, index: u64, sizes: &[usize]) -> PostedBatch {
        let blocks: Vec<(u64, usize)> = sizes.iter().map(|&n| (0, n)).collect();
        self.batch_with_queue(index, &blocks)
    }

    /// A batch of blocks with the given numbers of queue entries (deposits) and transactions.
    fn batch_with_queue(&mut self, index: u64, sizes: &[(u64, usize)]) -> PostedBatch {
        let blocks: Vec<(u64, usize, u64)> =
            sizes.iter().map(|&(e, n)| (e, n, rollup_types::fees::MIN_L1_BYTE_PRICE)).collect();
        self.batch_priced(index, &blocks)
    }

    /// A batch of blocks with the given numbers of queue entries (deposits) and transactions,
    /// each committing the given L1 price (the executor takes it as given).
    fn batch_priced(&mut self, index: u64, sizes: &[(u64, usize, u64)]) -> PostedBatch {
        let prev_state_root = self.executor.state_root();
        let (queue_acc, queue_start) = (self.queue_acc, self.queue_next);
        let mut blocks = Vec::new();
        let mut chunk_roots = Vec::new();
        let mut queue = Vec::new();
        for &(entries, n, l1_byte_price) in sizes {
            let consumed = self.deposits(entries);
            let txs = self.txs(n);
            let recovered: Vec<RecoveredTx> =
                txs.iter().map(|t| RecoveredTx::from_signed(t.clone(), &CHAIN).expect("valid")).collect();
            let env = BlockEnvInput { number: self.next_block, timestamp: 1_000 + self.next_block, l1_byte_price };
            chunk_roots.extend(self.executor.execute_block_with_queue(env, &consumed, &recovered).chunk_roots);
            blocks.push(BatchBlock {
                number: self.next_block,
                timestamp: env.timestamp,
                queue_count: entries,
                l1_byte_price,
                txs,
            });
            queue.extend(consumed);
            self.next_block += 1;
        }
        self.queue_acc = rollup_types::queue::accumulate_all(self.queue_acc, &queue);
        let queue_end = queue_start + queue.len() as u64;
        let data: Bytes = codec::encode(&Batch { blocks }, &CHAIN).expect("encodes").into();
        PostedBatch {
            blob: None,
            index,
            l1_block: 10 + index,
            l1_tx_hash: B256::repeat_byte(index as u8),
            data_hash: codec::data_commitment(&data),
            data,
            prev_state_root,
            state_root: chunk_roots.last().copied().unwrap_or(prev_state_root),
            chunk_roots,
            last_block: self.next_block - 1,
            queue_end,
            queue,
            queue_acc,
        }
    }
}

fn verifier() -> Verifier {
    Verifier::new(Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis"))
}

/// The verdict on `batch`, the next batch `v` expects.
fn judge(v: &mut Verifier, batch: &PostedBatch) -> Verdict {
    v.verify(batch).expect("the batch is the next one").0
}

fn assert_mismatch(verdict: &Verdict, needle: &str) {
    match verdict {
        Verdict::Mismatch { fault, .. } => {
            let reason = fault.to_string();
            assert!(reason.contains(needle), "reason {reason:?} lacks {needle:?}");
        }
        Verdict::Verified { .. } => panic!("expected a mismatch about {needle:?}"),
    }
}

/// The filler-block ratchet of issue 53: blocks of one transaction each, every one raising the
/// L1 price by an eighth, the most the rule allows a block. Before the chain's reading of the
/// L1's fees capped it, 220 such blocks took the price from the floor (8 wei a byte) past 10^12:
/// a wallet's estimate went stale in a few blocks, whatever the L1 did. Now the price stops at
/// the cap of the reading (the genesis one here: a 1 gwei base fee, a cap of 1.92 · 10^12 wei a
/// byte): the block that would pass it is a fault the chunk proof shows (`WrongL1Price`), and an
/// honest sequencer's proposals stay at it.
#[test]
fn the_filler_block_ratchet_stops_at_the_l1s_cap() {
    use rollup_types::fees::{GENESIS_L1_FEES, MIN_L1_BYTE_PRICE};
    let cap = GENESIS_L1_FEES.price_cap();
    assert_eq!(cap, 1_920_000_000_000);
    let mut prices = vec![MIN_L1_BYTE_PRICE];
    while *prices.last().expect("one") <= cap {
        let p = *prices.last().expect("one");
        prices.push(p + p / 8);
    }
    // Every step is within the eighth; the last one passes the cap.
    assert!(prices.windows(2).all(|w| rollup_types::fees::l1_price_in_bounds(w[0], w[1], u64::MAX)));
    let (over, blocks) = (prices.len() - 1, prices.len());
    assert!((200..=256).contains(&blocks), "{blocks} blocks");
    // Two batches: a block of one transaction takes two chunks (its beginning and its item),
    // and a batch holds 256.
    const FIRST: usize = 128;
    let mut b = Builder::new();
    let ratchet: Vec<(u64, usize, u64)> = prices.iter().map(|&p| (0, 1, p)).collect();
    let first = b.batch_priced(0, &ratchet[..FIRST]);
    let batch = b.batch_priced(1, &ratchet[FIRST..]);
    let mut v = verifier();
    assert!(matches!(judge(&mut v, &first), Verdict::Verified { .. }));
    let verdict = judge(&mut v, &batch);
    assert_mismatch(&verdict, "above the cap");
    assert_mismatch(&verdict, &format!("block {}", over + 1));
    // The proof is the beginning of that block, `WrongL1Price`, from the fee state and the
    // reading.
    let proof = v.prove(&batch).expect("a fault");
    let rollup_fraud_proof::prove::FraudProof::Chunk { keys, chunk_index, reason, .. } = &proof else {
        panic!("a chunk proof: {proof:?}")
    };
    assert_eq!(chunk_index.to_owned() as usize, 2 * (over - FIRST), "one transaction a block: the block's beginning");
    assert!(reason.contains("above the cap") || reason.contains("L1 price"), "{reason}");
    assert_eq!(keys, &[rollup_types::fees::FeeState::key(), rollup_types::fees::L1Fees::key()]);
    // An honest sequencer aiming at the same prices stays at the cap: the batch verifies.
    let mut honest = Builder::new();
    let mut proposed = Vec::new();
    let mut fees = honest.executor.fee_state();
    for (i, target) in prices.iter().enumerate() {
        let number = i as u64 + 1;
        let price = fees.propose_l1_price(number, *target, honest.executor.l1_price_cap());
        fees = fees.enter(number, price, cap).expect("within the bound");
        proposed.push((0, 1, price));
    }
    assert_eq!(proposed.last().map(|p| p.2), Some(cap), "stopped at the cap");
    let mut v = verifier();
    for (index, blocks) in proposed.chunks(FIRST).enumerate() {
        let batch = honest.batch_priced(index as u64, blocks);
        assert!(matches!(judge(&mut v, &batch), Verdict::Verified { .. }));
    }
}

#[test]
fn an_honest_chain_verifies_batch_after_batch() {
    let mut builder = Builder::new();
    let mut v = verifier();
    for index in 0..4 {
        let batch = builder.batch(index, &[3, 1, 5]);
        assert_eq!(judge(&mut v, &batch), Verdict::Verified { state_root: batch.state_root });
    }
    assert_eq!(v.state_root(), builder.executor.state_root());
}

#[test]
fn a_wrong_chunk_root_is_a_mismatch_at_that_chunk_and_taints_descendants() {
    let mut builder = Builder::new();
    let mut v = verifier();
    let good = builder.batch(0, &[2]);
    assert!(matches!(judge(&mut v, &good), Verdict::Verified { .. }));
    let root_before = v.state_root();

    // The middle chunk of a batch of one block: its beginning, then chunks of 2, 2 and 1
    // transactions.
    let mut bad = builder.batch(1, &[5]);
    assert_eq!(bad.chunk_roots.len(), 4);
    bad.chunk_roots[2] = B256::repeat_byte(0xee);
    let verdict = judge(&mut v, &bad);
    assert_mismatch(&verdict, "chunk 2");
    let Verdict::Mismatch { computed_root, .. } = verdict else { unreachable!() };
    assert_eq!(computed_root, Some(bad.state_root), "the final root itself was right");
    assert_eq!(v.state_root(), root_before, "a bad batch does not move the chain");
    assert_mismatch(&judge(&mut v, &builder.batch(2, &[1])), "builds on batch 1");
}

/// The batch is judged once: the verdict's fault says what is wrong, and the proof built from
/// it shows that fault, where the fault is, in the same words.
#[test]
fn the_verdict_and_its_proof_come_from_one_typed_fault() {
    // A wrong middle root: chunk 1, proven by chunk 1's replay.
    let mut builder = Builder::new();
    let mut v = verifier();
    let mut bad = builder.batch(0, &[5]);
    let (posted, computed) = (B256::repeat_byte(0xee), bad.chunk_roots[1]);
    bad.chunk_roots[1] = posted;
    let Verdict::Mismatch { fault, .. } = judge(&mut v, &bad) else { panic!("a mismatch") };
    assert_eq!(fault, Fault::ChunkRoot { chunk: 1, posted, computed });
    let proof = v.prove(&bad).expect("a proof");
    assert!(matches!(proof, prover::FraudProof::Chunk { chunk_index: 1, .. }), "{proof:?}");
    assert_eq!(proof.reason(), fault.to_string());

    // A header that ends one block later than the post says: the header proves it.
    let mut v = verifier();
    let mut bad = Builder::new().batch(0, &[3]);
    bad.last_block += 1;
    let Verdict::Mismatch { fault, .. } = judge(&mut v, &bad) else { panic!("a mismatch") };
    assert_eq!(fault, Fault::Header(HeaderFault::LastBlock { got: bad.last_block - 1, posted: bad.last_block }));
    let proof = v.prove(&bad).expect("a proof");
    assert!(matches!(proof, prover::FraudProof::Header { .. }), "{proof:?}");
    assert_eq!(proof.reason(), fault.to_string());
    // The prover alone, without the verdict, finds the same fault by the inbox's rules.
    let genesis = Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis");
    assert_eq!(prover::build(&genesis, Position::GENESIS, &bad).expect("a proof"), proof);
}

/// `batch` as a blob post: its data in a blob (with `flip`'s bytes inverted in the blob only),
/// its segment hashes those of the data, its chunk roots at the end of the blob (root
/// `flip_root` changed in the blob only) and their hash in the post, as the batcher posts them;
/// read back as the challenger reads it.
fn in_blob(batch: &PostedBatch, flip: &[usize], flip_root: Option<usize>) -> PostedBatch {
    let mut held = batch.data.to_vec();
    for &at in flip {
        held[at] ^= 0xff;
    }
    let mut roots = batch.chunk_roots.clone();
    if let Some(i) = flip_root {
        roots[i].0[0] ^= 0xff;
    }
    let raw: Bytes = rollup_types::blob::to_blob(&held, &roots).expect("fits").into();
    let versioned_hash = rollup_fraud_proof::blob::open(&raw, 0, 1).expect("opens").versioned_hash;
    PostedBatch {
        data: rollup_types::blob::payload(&raw, held.len()).expect("reads").into(),
        chunk_roots: rollup_types::blob::chunk_roots(&raw, roots.len()).expect("reads"),
        blob: Some(rollup_fraud_proof::batch::BlobPost {
            versioned_hash,
            segment_hashes: codec::segment_hashes(&batch.data),
            chunk_roots_hash: rollup_types::codec::chunk_roots_hash(&batch.chunk_roots),
            raw,
        }),
        ..batch.clone()
    }
}

/// A blob batch is judged as a calldata batch of its data; a blob that does not hold the data
/// its post committed to is a mismatch at the first segment that differs, proven from the
/// blob's cells (docs/fraud-proofs.md §8).
#[test]
fn a_blob_batch_is_judged_by_its_data_and_its_blob_by_the_posted_segment_hashes() {
    let mut builder = Builder::new();
    let honest = builder.batch(0, &[40]);
    assert!(honest.data.len() > 2 * codec::SEGMENT_BYTES, "{} bytes: three segments or more", honest.data.len());
    let blob = in_blob(&honest, &[], None);
    assert_eq!(blob.data, honest.data);
    assert_eq!(judge(&mut verifier(), &blob), Verdict::Verified { state_root: honest.state_root });
    let genesis = Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis");
    assert_eq!(prover::build(&genesis, Position::GENESIS, &blob), Err(prover::ProveError::NoFault(0)));

    // Two bytes flipped in the blob, in segments 1 and 2: the first is the fault.
    let at = codec::SEGMENT_BYTES + 5;
    let lying = in_blob(&honest, &[2 * codec::SEGMENT_BYTES + 1, at], None);
    let Verdict::Mismatch { fault, .. } = judge(&mut verifier(), &lying) else { panic!("a mismatch") };
    assert_eq!(fault, Fault::BlobSegment(1));
    let proof = prover::build(&genesis, Position::GENESIS, &lying).expect("a proof");
    let prover::FraudProof::Blob { segment, length, ref segment_hashes, ref opening, .. } = proof else {
        panic!("a blob proof: {proof:?}")
    };
    assert_eq!((segment, length), (1, honest.data.len() as u64));
    assert_eq!(segment_hashes, &codec::segment_hashes(&honest.data));
    // Bytes 1,024 .. 2,048 are in cells 0 (to 1,984) and 1.
    let cells: Vec<u64> = opening.cells.iter().map(|c| c.index.saturating_to()).collect();
    assert_eq!(cells, vec![0, 1]);
    assert_eq!(opening.versioned_hash, lying.blob.as_ref().expect("a blob").versioned_hash);
    assert_eq!(opening.commitment.len(), 128);
    assert_eq!(proof.reason(), fault.to_string());

    // A wrong root in a blob batch, posted as the blob holds it, is proven as in calldata: the
    // chunk's replay.
    let mut wrong = honest.clone();
    wrong.chunk_roots[2] = B256::repeat_byte(0xee);
    let wrong = in_blob(&wrong, &[], None);
    let proof = prover::build(&genesis, Position::GENESIS, &wrong).expect("a proof");
    assert!(matches!(proof, prover::FraudProof::Chunk { chunk_index: 2, .. }), "{proof:?}");
}

/// A blob batch's chunk roots end its blob, the post carrying their hash and the last one: a
/// blob whose roots are not those is a mismatch, proven from the cells holding them
/// (docs/fraud-proofs.md §8.8); an honest blob's roots proof is built but shows nothing.
#[test]
fn a_blob_whose_roots_are_not_the_posted_ones_is_a_mismatch_proven_from_its_cells() {
    let mut builder = Builder::new();
    let honest = builder.batch(0, &[40]);
    let genesis = Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis");
    let count = honest.chunk_roots.len();
    assert!(count > 3, "{count} chunks");
    let blob = in_blob(&honest, &[], None);
    assert_eq!(blob.chunk_roots, honest.chunk_roots, "read back from the end of the blob");
    let tried = prover::build_blob_roots(&blob).expect("opens");
    let prover::FraudProof::BlobRoots { ref opening, .. } = tried else { panic!("a roots proof: {tried:?}") };
    let range = rollup_types::blob::roots_range(count);
    let cells: Vec<usize> = opening.cells.iter().map(|c| c.index.saturating_to()).collect();
    assert_eq!(cells, rollup_types::blob::cells_for(range.start, range.end).collect::<Vec<_>>());
    assert_eq!(cells.last(), Some(&(rollup_types::blob::CELLS_PER_BLOB - 1)));

    // A root changed in the blob: its hash is not the posted one.
    for at in [0, count - 1] {
        let lying = in_blob(&honest, &[], Some(at));
        let Verdict::Mismatch { fault, .. } = judge(&mut verifier(), &lying) else { panic!("a mismatch") };
        assert_eq!(fault, Fault::BlobRoots, "root {at}");
        let proof = prover::build(&genesis, Position::GENESIS, &lying).expect("a proof");
        assert!(matches!(proof, prover::FraudProof::BlobRoots { .. }), "{proof:?}");
        assert_eq!(proof.reason(), fault.to_string());
    }
    // The roots as posted, but a recorded state root that is not the last of them.
    let mut other_state = blob.clone();
    other_state.state_root = B256::repeat_byte(0x5e);
    let Verdict::Mismatch { fault, .. } = judge(&mut verifier(), &other_state) else { panic!("a mismatch") };
    assert_eq!(fault, Fault::BlobRoots);
    // A blob whose data is not the posted data is found first.
    let both = in_blob(&honest, &[10], Some(0));
    let Verdict::Mismatch { fault, .. } = judge(&mut verifier(), &both) else { panic!("a mismatch") };
    assert_eq!(fault, Fault::BlobSegment(0));
}

#[test]
fn a_wrong_final_root_is_a_mismatch() {
    let mut builder = Builder::new();
    let mut bad = builder.batch(0, &[1]);
    bad.state_root = B256::repeat_byte(1);
    assert_mismatch(&judge(&mut verifier(), &bad), "state root");
    let mut bad = Builder::new().batch(0, &[3]);
    bad.chunk_roots.pop();
    assert_mismatch(&judge(&mut verifier(), &bad), "chunk roots posted");
}

#[test]
fn undecodable_data_is_a_mismatch() {
    let mut bad = Builder::new().batch(0, &[1]);
    let mut data = bad.data.to_vec();
    data.truncate(data.len() - 3);
    bad.data = data.into();
    bad.data_hash = codec::data_commitment(&bad.data);
    assert_mismatch(&judge(&mut verifier(), &bad), "does not decode");
}

/// Data that is not what the inbox committed to is not the post's (the challenger read the
/// wrong transaction, or the post hides its data, which the inbox refuses): no verdict, on it
/// or after it, and nothing moves until the post is read (issue 53).
#[test]
fn data_not_matching_the_commitment_is_unreadable_and_no_verdict() {
    let good = Builder::new().batch(0, &[1]);
    let mut bad = good.clone();
    bad.data_hash = B256::ZERO;
    let mut v = verifier();
    let err = v.verify(&bad).expect_err("no verdict");
    assert!(matches!(&err, VerifyError::Unreadable { index: 0, .. }), "{err}");
    assert!(err.to_string().contains("the inbox recorded 0x0000"), "{err}");
    assert_eq!((v.next_index(), v.invalid_from()), (0, None), "nothing moved");
    assert!(matches!(judge(&mut v, &good), Verdict::Verified { .. }));
}

#[test]
fn a_queue_count_that_disagrees_with_the_posted_queue_end_is_a_header_fault() {
    let (genesis, mut v) = (Executor::genesis(CHAIN, &GenesisSpec::devnet()).expect("genesis"), verifier());
    // Blocks that consume no entry, posted as if they consumed two.
    let mut bad = Builder::new().batch(0, &[1]);
    (bad.queue_end, bad.queue) = (2, Builder::new().deposits(2));
    assert_mismatch(&judge(&mut v, &bad), "consume 0 queue entries, the post moves the queue from 0 to 2");
    let proof = prover::build(&genesis, Position::GENESIS, &bad).expect("a proof");
    assert!(matches!(proof, prover::FraudProof::Header { .. }), "{proof:?}");

    // Blocks that consume three entries, posted as consuming none.
    let honest = Builder::new().batch(0, &[2]);
    let mut decoded = codec::decode(&honest.data, &CHAIN).expect("decodes");
    decoded.blocks[0].queue_count = 3;
    let data: Bytes = codec::encode(&decoded, &CHAIN).expect("encodes").into();
    // As many roots as the header has chunks: the inbox checks the chunk count before the
    // queue count.
    let chunks = codec::decode_header(&data, &CHAIN).expect("header").chunks.len();
    let chunk_roots = vec![honest.state_root; chunks];
    let bad = PostedBatch { data_hash: codec::data_commitment(&data), data, chunk_roots, ..honest.clone() };
    assert_mismatch(&judge(&mut verifier(), &bad), "consume 3 queue entries, the post moves the queue from 0 to 0");
    let proof = prover::build(&genesis, Position::GENESIS, &bad).expect("a proof");
    assert!(matches!(proof, prover::FraudProof::Header { .. }), "{proof:?}");

    // The same with the post agreeing: the verifier wants the three entries the post consumed
    // (they come from L1; without them there is no verdict).
    let agreeing = PostedBatch { queue_end: 3, chunk_roots: vec![bad.state_root; chunks], ..bad };
    let got = verifier().verify(&agreeing).map(|(v, _)| v);
    assert!(matches!(got, Err(VerifyError::QueueEntries { index: 0, .. })), "{got:?}");
    let two = PostedBatch { queue: Builder::new().deposits(2), ..agreeing.clone() };
    let got = verifier().verify(&two).map(|(v, _)| v);
    assert!(matches!(got, Err(VerifyError::QueueEntries { index: 0, .. })), "{got:?}");
    let mut shifted = Builder::new().deposits(4);
    shifted.remove(0);
    let got = verifier().verify(&PostedBatch { queue: shifted, ..agreeing }).map(|(v, _)| v);
    assert!(matches!(got, Err(VerifyError::QueueEntries { index: 0, .. })), "{got:?}");
}

#[test]
fn an_honest_chain_with_deposits_verifies_and_an_altered_deposit_is_proven_at_its_chunk() {
    let mut builder = Builder::new();
    let mut v = verifier();
    // Entries alone, entries before transactions (a chunk each), across batches.
    let b0 = builder.batch_with_queue(0, &[(3, 0), (1, 2)]);
    let b1 = builder.batch_with_queue(1, &[(0, 1), (2, 3)]);
    for b in [&b0, &b1] {
        assert_eq!(judge(&mut v, b), Verdict::Verified { state_root: b.state_root }, "batch {}", b.index);
    }
    assert_eq!(v.position().queue_end, 6);

    // The next batch credits 10 wei more than deposit 7 carried on L1 (what the challenger
    // reads there): the root of its second block's first entry's chunk (chunk 4, after the first
    // block's beginning, entry and transaction and the second's beginning) is wrong, and that
    // chunk proves it.
    let honest = builder.batch_with_queue(2, &[(1, 1), (2, 0)]);
    let mut forged = honest.clone();
    {
        // The forged roots, from the state after batch 1.
        let mut sequencer = v.executor().clone();
        let mut l1 = honest.queue.clone();
        if let QueueItem::Deposit { amount, .. } = &mut l1[1].item {
            *amount += U256::from(10u8);
        }
        let blocks = codec::decode(&honest.data, &CHAIN).expect("decodes").blocks;
        let txs: Vec<RecoveredTx> =
            blocks[0].txs.iter().map(|t| RecoveredTx::from_signed(t.clone(), &CHAIN).expect("valid")).collect();
        // The blocks' own numbers: the fee state records the block of each chunk.
        let mut roots = sequencer.execute_block_with_queue(env_of(blocks[0].number), &l1[..1], &txs).chunk_roots;
        roots.extend(sequencer.execute_block_with_queue(env_of(blocks[1].number), &l1[1..], &[]).chunk_roots);
        forged.chunk_roots = roots;
        forged.state_root = *forged.chunk_roots.last().expect("roots");
    }
    assert_mismatch(&judge(&mut v, &forged), "chunk 4");
    let proof = v.prove(&forged).expect("a proof");
    match &proof {
        prover::FraudProof::Chunk { chunk_index: 4, queue, queue_acc_before, .. } => {
            assert_eq!(queue, &honest.queue[1..2]);
            assert_eq!(*queue_acc_before, rollup_types::queue::accumulate_all(honest.queue_acc, &honest.queue[..1]));
        }
        other => panic!("{other:?}"),
    }
    // The honest batch verifies in its place.
    assert_eq!(judge(&mut verifier_after(&[&b0, &b1]), &honest), Verdict::Verified { state_root: honest.state_root });
}

fn env_of(number: u64) -> BlockEnvInput {
    BlockEnvInput { number, timestamp: 1_000 + number, l1_byte_price: rollup_types::fees::MIN_L1_BYTE_PRICE }
}

/// A verifier that has verified `batches`.
fn verifier_after(batches: &[&PostedBatch]) -> Verifier {
    let mut v = verifier();
    for b in batches {
        assert!(matches!(judge(&mut v, b), Verdict::Verified { .. }));
    }
    v
}

fn rebuild_with(batch: &PostedBatch, edit: impl FnOnce(&mut Vec<SignedTx>)) -> PostedBatch {
    let mut decoded = codec::decode(&batch.data, &CHAIN).expect("decodes");
    edit(&mut decoded.blocks[0].txs);
    let data: Bytes = codec::encode(&decoded, &CHAIN).expect("encodes").into();
    PostedBatch { data_hash: codec::data_commitment(&data), data, ..batch.clone() }
}

#[test]
fn a_forged_signature_is_a_mismatch() {
    let batch = Builder::new().batch(0, &[2]);
    let bad = rebuild_with(&batch, |txs| {
        let SignedTx::Eip1559(t) = &txs[1] else { panic!("eip1559") };
        let sig = t.signature();
        // s in the upper half of the order, refused by EIP-2: the smallest such, secp256k1n / 2
        // + 1 (a real signature's high twin, at or above 2^255, has no room for the parity in
        // the codec, docs/batch-codec.md §3.3).
        let n =
            U256::from_str_radix("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16).expect("n");
        let forged = Signature::new(sig.r(), (n >> 1usize) + U256::from(1u8), sig.v());
        txs[1] = SignedTx::Eip1559(alloy_consensus::Signed::new_unhashed(t.tx().clone(), forged));
    });
    assert_mismatch(&judge(&mut verifier(), &bad), "transaction 1 is invalid");
}

#[test]
fn a_replayed_nonce_is_a_mismatch() {
    let batch = Builder::new().batch(0, &[2]);
    let bad = rebuild_with(&batch, |txs| {
        let first = txs[0].clone();
        txs[1] = first;
    });
    assert_mismatch(&judge(&mut verifier(), &bad), "cannot execute");
}

#[test]
fn batches_skipping_blocks_are_mismatches_and_out_of_order_ones_no_verdict() {
    let mut builder = Builder::new();
    let b0 = builder.batch(0, &[1]);
    let b1 = builder.batch(1, &[1]);
    let mut v = verifier();
    // Not the next batch: no verdict at all, the caller's view of L1 is out of step.
    assert!(matches!(v.verify(&b1), Err(VerifyError::OutOfSync { expected: 0, got: 1 })));
    assert_eq!(v.next_index(), 0);

    let mut v = verifier();
    let mut wrong_start = b0.clone();
    wrong_start.prev_state_root = B256::repeat_byte(3);
    assert_mismatch(&judge(&mut v, &wrong_start), "builds on root");

    let mut v = verifier();
    let mut wrong_end = b0;
    wrong_end.last_block = 7;
    assert_mismatch(&judge(&mut v, &wrong_end), "ends at block 1");
}

/// What a reorg takes back comes back exactly: verified batches, a mismatch and a rollback,
/// taken back newest first, leave the verifier where it was, and the same batches judged
/// again give the same verdicts.
#[test]
fn events_are_taken_back_newest_first_to_the_exact_state_before_them() {
    let mut builder = Builder::new();
    let mut v = verifier();
    let b0 = builder.batch(0, &[2]);
    judge(&mut v, &b0);
    let (root0, position0) = (v.state_root(), v.position());
    let b1 = builder.batch(1, &[3, 1]);
    let b2 = builder.batch(2, &[2]);
    let (verdict1, applied1) = v.verify(&b1).expect("next");
    let (verdict2, applied2) = v.verify(&b2).expect("next");
    assert!(matches!(verdict1, Verdict::Verified { .. }) && matches!(verdict2, Verdict::Verified { .. }));
    assert_eq!(v.state_root(), b2.state_root);
    assert!(applied2.can_unapply() && applied2.undo_len() > 0);
    v.unapply(applied2).expect("taken back");
    v.unapply(applied1).expect("taken back");
    assert_eq!((v.state_root(), v.position()), (root0, position0));
    assert_eq!(judge(&mut v, &b1), verdict1);
    assert_eq!(judge(&mut v, &b2), verdict2);

    // A mismatch, then the rollback that removes it; both taken back.
    let honest3 = builder.batch(3, &[1]);
    let mut bad = honest3.clone();
    bad.chunk_roots[0] = B256::repeat_byte(0xaa);
    let before = (v.state_root(), v.position());
    let (verdict, applied_bad) = v.verify(&bad).expect("next");
    assert!(matches!(verdict, Verdict::Mismatch { .. }));
    assert_eq!(v.invalid_from(), Some(3));
    let applied_rollback = v.roll_back(3).expect("the bad batch and later");
    assert_eq!((v.invalid_from(), v.next_index()), (None, 3));
    v.unapply(applied_rollback).expect("taken back");
    assert_eq!(v.invalid_from(), Some(3));
    v.unapply(applied_bad).expect("taken back");
    assert_eq!((v.state_root(), v.position()), before);
    // A rollback of a batch it verified is refused: the two verifiers disagree.
    assert!(v.roll_back(1).is_err());
    // A verified batch whose undo was let go cannot be taken back.
    let (_, mut applied) = v.verify(&honest3).expect("next");
    applied.forget_undo();
    assert!(!applied.can_unapply());
    assert!(matches!(v.unapply(applied), Err(VerifyError::Forgotten)));
}
