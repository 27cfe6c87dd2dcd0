//! Where a blob post's blob is read (docs/fraud-proofs.md §8.4): the beacon API's
//! `GET /eth/v1/beacon/blobs/{block_id}?versioned_hashes={hash}`.
//!
//! The beacon-APIs spec names the block by a beacon **slot**, a beacon block root (`0x…`) or
//! `head`, `genesis`, `finalized`: never by an execution block number, which read as a slot
//! names another block. A post is known by its execution block, whose slot follows from its
//! timestamp: since the merge a payload's timestamp is the start of its slot (the consensus
//! specs' `compute_time_at_slot`, asserted by `process_execution_payload`), so
//! `slot = (timestamp − genesis_time) × 1000 / SLOT_DURATION_MS`, exactly. A beacon node
//! serves both: `genesis_time` at `/eth/v1/beacon/genesis`, the slot's length at
//! `/eth/v1/config/spec` (`SLOT_DURATION_MS`, or the older `SECONDS_PER_SLOT`). anvil, the
//! devnet's L1, serves the blobs route with execution block numbers and answers 404 at
//! `/eth/v1/config/spec`: a server that does is asked by execution block number.
//!
//! Each server is asked on its own terms ([`BlockNaming`]), learnt once per URL and asked
//! again after a blob request to it fails, so `--l1.beacon` and each `--l1.beacon-fallback`
//! may be of either kind.

use crate::blob;
use alloy_primitives::{B256, Bytes};
use rollup_types::blob::KzgHint;
use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::Duration,
};

/// How a server names the block of `/eth/v1/beacon/blobs/{block_id}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockNaming {
    /// By beacon slot: a beacon node (it serves `/eth/v1/config/spec`), on this schedule.
    Slots(SlotClock),
    /// By execution block number: a server without `/eth/v1/config/spec` (anvil).
    ExecutionNumbers,
}

/// A beacon chain's slots: where they start and how long they last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotClock {
    /// `genesis_time` (Unix seconds): the start of slot 0.
    pub genesis_time: u64,
    /// A slot's length in milliseconds (`SLOT_DURATION_MS`, or `SECONDS_PER_SLOT` × 1,000).
    pub slot_ms: u64,
}

/// A config value of the beacon API: a decimal string (as the spec writes them) or a number.
fn uint(value: &serde_json::Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str()?.parse().ok())
}

impl SlotClock {
    /// The schedule of the `data` of `/eth/v1/config/spec` and of `/eth/v1/beacon/genesis`.
    /// `SLOT_DURATION_MS` is the slot's length where served (the current spec's, which
    /// deprecates `SECONDS_PER_SLOT`), `SECONDS_PER_SLOT` otherwise.
    pub fn from_api(spec: &serde_json::Value, genesis: &serde_json::Value) -> Result<Self, String> {
        let slot_ms = match (uint(&spec["SLOT_DURATION_MS"]), uint(&spec["SECONDS_PER_SLOT"])) {
            (Some(ms), _) => ms,
            (None, Some(seconds)) => seconds
                .checked_mul(1_000)
                .ok_or_else(|| format!("/eth/v1/config/spec: SECONDS_PER_SLOT {seconds} is out of range"))?,
            (None, None) => {
                return Err("/eth/v1/config/spec serves neither SLOT_DURATION_MS nor SECONDS_PER_SLOT".into());
            }
        };
        // Below a second, two slots can start in the second an execution timestamp names.
        if slot_ms < 1_000 {
            return Err(format!("/eth/v1/config/spec: slots of {slot_ms} ms cannot be told apart by a timestamp"));
        }
        let genesis_time = uint(&genesis["genesis_time"]).ok_or("/eth/v1/beacon/genesis serves no genesis_time")?;
        Ok(Self { genesis_time, slot_ms })
    }

    /// The slot that starts at `timestamp`, an execution payload's timestamp: the `slot` whose
    /// `genesis_time + slot × slot_ms / 1000` (rounded down, as `compute_time_at_slot`) it is.
    /// An error when no slot starts then: the block is not on the chain this beacon follows
    /// (another network, or a block from before the merge).
    pub fn slot_at(&self, timestamp: u64) -> Result<u64, String> {
        let since = timestamp.checked_sub(self.genesis_time).ok_or_else(|| {
            format!("timestamp {timestamp} is before the beacon chain's genesis_time {}", self.genesis_time)
        })?;
        let slot_ms = u128::from(self.slot_ms);
        // The first slot that starts at or after `since`; it starts in that second or none does.
        let slot = (u128::from(since) * 1_000).div_ceil(slot_ms);
        if slot * slot_ms / 1_000 != u128::from(since) {
            return Err(format!(
                "no slot starts at timestamp {timestamp} (genesis_time {}, slots of {} ms): not the L1 this beacon \
                 node follows",
                self.genesis_time, self.slot_ms
            ));
        }
        u64::try_from(slot).map_err(|_| format!("the slot of timestamp {timestamp} is out of range"))
    }
}

/// `base` with `path` (which starts with `/`) appended.
fn route(base: &url::Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

/// The JSON body of `GET url`, or why not (naming the URL).
async fn get_json(client: &reqwest::Client, url: &str) -> Result<serde_json::Value, String> {
    client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("{url}: {}", e.without_url()))?
        .json()
        .await
        .map_err(|e| format!("{url}: {}", e.without_url()))
}

/// How the server at `base` names blocks: by slot if it serves `/eth/v1/config/spec` (then its
/// `/eth/v1/beacon/genesis` too), by execution block number if it answers 404 there. Any other
/// answer is an error naming the URL: a node still starting or unreachable is asked again.
pub async fn probe(client: &reqwest::Client, base: &url::Url) -> Result<BlockNaming, String> {
    let spec_url = route(base, "/eth/v1/config/spec");
    let failed = |e: reqwest::Error| format!("{spec_url}: {}", e.without_url());
    let answer = client.get(&spec_url).send().await.map_err(failed)?;
    if answer.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(BlockNaming::ExecutionNumbers);
    }
    // An execution node answers a GET without a body with 200 and nothing (geth), or refuses it.
    let spec: serde_json::Value = answer
        .error_for_status()
        .map_err(failed)?
        .json()
        .await
        .map_err(|e| format!("{spec_url}: not a beacon API's answer ({})", e.without_url()))?;
    let genesis_url = route(base, "/eth/v1/beacon/genesis");
    let genesis = get_json(client, &genesis_url).await?;
    SlotClock::from_api(&spec["data"], &genesis["data"]).map(BlockNaming::Slots).map_err(|e| format!("{base}: {e}"))
}

/// The blob of versioned hash `hash` in beacon block `block_id` (a slot, a block root, or
/// for anvil an execution block number), from the beacon API at `base`
/// (`GET /eth/v1/beacon/blobs/{block_id}?versioned_hashes={hash}`), checked against the hash
/// with the post's KZG `hint` if it has one ([`blob::find_blob`]). The filter spares reading
/// and checking the block's other blobs; a server that ignores it serves them all, and the one
/// with the hash is found among them.
pub async fn fetch_blob(
    client: &reqwest::Client,
    base: &url::Url,
    block_id: &str,
    hash: B256,
    hint: Option<KzgHint>,
) -> Result<Bytes, String> {
    let url = route(base, &format!("/eth/v1/beacon/blobs/{block_id}?versioned_hashes={hash}"));
    let body = get_json(client, &url).await?;
    let served: Vec<Vec<u8>> = body["data"]
        .as_array()
        .map(|items| {
            items
                .iter()
                // A malformed entry cannot be the post's blob.
                .filter_map(|item| {
                    alloy_primitives::hex::decode(item.as_str().or_else(|| item["blob"].as_str()).unwrap_or_default())
                        .ok()
                })
                .collect()
        })
        .unwrap_or_default();
    let found = tokio::task::spawn_blocking(move || blob::find_blob(served, hash, hint))
        .await
        .map_err(|e| format!("checking the blobs of {url}: {e}"))?;
    found.map(Bytes::from).ok_or_else(|| format!("{url} does not serve blob {hash}"))
}

/// How long one request to a beacon API may take: a block's blobs are at most 21 × 256 KiB
/// (hex, about 11 MB), read in well under this on any link that can follow the L1. A server
/// that stalls fails the request, and the round asks the next URL instead of waiting forever.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client for beacon APIs: every request bounded by [`REQUEST_TIMEOUT`].
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().unwrap_or_default()
}

/// The beacon APIs blobs are asked of, with how each names blocks ([`probe`]) as learnt: once
/// per URL, and again after a blob request to it failed (the server behind a URL may change).
#[derive(Debug)]
pub struct BeaconApis {
    client: reqwest::Client,
    naming: Mutex<HashMap<url::Url, BlockNaming>>,
}

impl Default for BeaconApis {
    fn default() -> Self {
        Self { client: client(), naming: Mutex::default() }
    }
}

impl BeaconApis {
    /// How the server at `base` names blocks, probed unless known.
    pub async fn naming(&self, base: &url::Url) -> Result<BlockNaming, String> {
        if let Some(known) = self.naming.lock().unwrap_or_else(PoisonError::into_inner).get(base) {
            return Ok(*known);
        }
        let learnt = probe(&self.client, base).await?;
        self.naming.lock().unwrap_or_else(PoisonError::into_inner).insert(base.clone(), learnt);
        Ok(learnt)
    }

    /// [`fetch_blob`] from `base`; on a failure, what was learnt of `base` is forgotten.
    pub async fn fetch(
        &self,
        base: &url::Url,
        block_id: &str,
        hash: B256,
        hint: Option<KzgHint>,
    ) -> Result<Bytes, String> {
        let fetched = fetch_blob(&self.client, base, block_id, hash, hint).await;
        if fetched.is_err() {
            self.naming.lock().unwrap_or_else(PoisonError::into_inner).remove(base);
        }
        fetched
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Mainnet's: genesis 2020-12-01 12:00:23 UTC, 12-second slots.
    const MAINNET_GENESIS: u64 = 1_606_824_023;

    #[test]
    fn the_slot_of_a_payload_is_its_timestamp_s_since_genesis() {
        let genesis = json!({ "genesis_time": MAINNET_GENESIS.to_string(), "genesis_fork_version": "0x00000000" });
        // The spec's strings, the older key alone.
        let clock = SlotClock::from_api(&json!({ "SECONDS_PER_SLOT": "12" }), &genesis).expect("a schedule");
        assert_eq!(clock, SlotClock { genesis_time: MAINNET_GENESIS, slot_ms: 12_000 });
        // Mainnet's Dencun (Deneb, epoch 269,568: slot 8,626,176) started at 1,710,338,135.
        assert_eq!(clock.slot_at(1_710_338_135), Ok(8_626_176));
        assert_eq!(clock.slot_at(MAINNET_GENESIS), Ok(0));
        assert_eq!(clock.slot_at(MAINNET_GENESIS + 12 * 1_000_003), Ok(1_000_003));
        // A timestamp that starts no slot, or before genesis: not a payload of this chain.
        let off = clock.slot_at(1_710_338_136).expect_err("not a slot's start");
        assert!(off.contains("no slot starts at timestamp 1710338136"), "{off}");
        assert!(clock.slot_at(MAINNET_GENESIS - 12).expect_err("before genesis").contains("before"));

        // SLOT_DURATION_MS (the current spec's) wins over SECONDS_PER_SLOT; numbers are taken.
        let spec = json!({ "SLOT_DURATION_MS": 6000, "SECONDS_PER_SLOT": "12" });
        let clock = SlotClock::from_api(&spec, &json!({ "genesis_time": 1_000 })).expect("a schedule");
        assert_eq!(clock.slot_ms, 6_000);
        assert_eq!(clock.slot_at(1_000 + 6 * 7), Ok(7));
        // Slots that are not whole seconds: slot 2 of 1.5 s starts at second 3, slot 1 at 1.5
        // (the payload's timestamp, rounded down, is 1: slot 1; second 2 starts none).
        let clock = SlotClock { genesis_time: 0, slot_ms: 1_500 };
        assert_eq!((clock.slot_at(3), clock.slot_at(1)), (Ok(2), Ok(1)));
        assert!(clock.slot_at(2).is_err());
    }

    #[test]
    fn a_schedule_needs_a_slot_length_and_a_genesis_time() {
        let genesis = json!({ "genesis_time": "1606824023" });
        let none = SlotClock::from_api(&json!({ "CONFIG_NAME": "mainnet" }), &genesis).expect_err("no slot length");
        assert!(none.contains("neither SLOT_DURATION_MS nor SECONDS_PER_SLOT"), "{none}");
        let short = SlotClock::from_api(&json!({ "SLOT_DURATION_MS": "500" }), &genesis).expect_err("too short");
        assert!(short.contains("500 ms"), "{short}");
        let spec = json!({ "SECONDS_PER_SLOT": "12" });
        let missing = SlotClock::from_api(&spec, &json!({})).expect_err("no genesis time");
        assert!(missing.contains("genesis_time"), "{missing}");
        assert!(SlotClock::from_api(&spec, &json!({ "genesis_time": "soon" })).is_err());
    }
}
