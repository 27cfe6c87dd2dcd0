//! Finding a block by what a client names it: `latest`, `earliest`, a number or a hash, from
//! REST's path or JSON-RPC's block parameter.

use super::{ApiError, decode::parse_hash};
use crate::{node::Node, store::StoredBlock};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::B256;

/// A block as a client names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BlockTag {
    /// The head.
    Latest,
    /// Genesis.
    Earliest,
    /// By number.
    Number(u64),
    /// By hash.
    Hash(B256),
}

impl BlockTag {
    /// Parses `latest`, `earliest`, a decimal or `0x` number, or a 32-byte `0x` hash.
    pub(crate) fn parse(s: &str) -> Result<Self, ApiError> {
        Ok(match s {
            "latest" => Self::Latest,
            "earliest" => Self::Earliest,
            s if s.len() == 66 && s.starts_with("0x") => Self::Hash(parse_hash(s)?),
            s => {
                let number =
                    if let Some(h) = s.strip_prefix("0x") { u64::from_str_radix(h, 16).ok() } else { s.parse().ok() };
                Self::Number(number.ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_block_id",
                        format!("{s:?} is not a block number, hash or \"latest\""),
                    )
                })?)
            }
        })
    }

    /// The block, if the chain has it.
    pub(crate) async fn find(self, node: &Node) -> Result<Option<StoredBlock>, ApiError> {
        Ok(crate::read::stored_block(node, self.into()).await?)
    }
}

impl From<BlockTag> for crate::read::BlockRef {
    fn from(tag: BlockTag) -> Self {
        match tag {
            BlockTag::Latest => Self::Latest,
            BlockTag::Earliest => Self::Number(0),
            BlockTag::Number(n) => Self::Number(n),
            BlockTag::Hash(h) => Self::Hash(h),
        }
    }
}

impl From<BlockId> for BlockTag {
    fn from(id: BlockId) -> Self {
        match id {
            BlockId::Hash(h) => Self::Hash(h.block_hash),
            BlockId::Number(BlockNumberOrTag::Number(n)) => Self::Number(n),
            BlockId::Number(BlockNumberOrTag::Earliest) => Self::Earliest,
            BlockId::Number(_) => Self::Latest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_named_the_same_way_by_both_apis() {
        assert_eq!(BlockTag::parse("latest").expect("tag"), BlockTag::Latest);
        assert_eq!(BlockTag::parse("earliest").expect("tag"), BlockTag::Earliest);
        assert_eq!(BlockTag::parse("0x1f").expect("hex"), BlockTag::Number(31));
        assert_eq!(BlockTag::parse("31").expect("decimal"), BlockTag::Number(31));
        let hash = B256::repeat_byte(7);
        assert_eq!(BlockTag::parse(&hash.to_string()).expect("hash"), BlockTag::Hash(hash));
        assert!(BlockTag::parse("yesterday").is_err());
        assert_eq!(BlockTag::from(BlockId::number(31)), BlockTag::Number(31));
        assert_eq!(BlockTag::from(BlockId::latest()), BlockTag::Latest);
        assert_eq!(BlockTag::from(BlockId::hash(hash)), BlockTag::Hash(hash));
    }
}
