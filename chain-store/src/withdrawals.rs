//! The withdrawals written on L2 (`migrations/chain/0009_withdrawals.sql`): what each
//! `WithdrawalInitiated` event of a sealed block said, for the API and the withdrawal proofs;
//! and which of them the L1 bridge paid (`migrations/chain/0020_withdrawal_payouts.sql`), as the
//! queue reader reads its `WithdrawalFinalized` events.

use crate::{Store, StoreError};
use alloy_primitives::{Address, B256, U256};
use rollup_db::{address, b256, i64_of, sqlx, u64_of};
use serde::{Deserialize, Serialize};
use sqlx::{Row, any::AnyRow};

/// One withdrawal, as its event described it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalRecord {
    /// The L2 account that withdrew.
    pub l2_sender: Address,
    /// Its index among the sender's withdrawals.
    pub index: u64,
    /// The L1 asset paid out (zero for ether).
    pub l1_token: Address,
    /// The bridged token burned on L2.
    pub l2_token: Address,
    /// Who is paid on L1.
    pub recipient: Address,
    /// How much.
    pub amount: U256,
    /// The leaf written at `withdrawal(l2_sender, index)`.
    pub leaf: B256,
    /// The L2 block that wrote it.
    pub block_number: u64,
    /// The L2 transaction that wrote it.
    pub tx_hash: B256,
}

/// A withdrawal paid on L1: `L1Bridge.WithdrawalFinalized`, read at the queue reader's depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalPayout {
    /// The L2 account that withdrew.
    pub l2_sender: Address,
    /// Its index among the sender's withdrawals.
    pub index: u64,
    /// The L1 block that paid it.
    pub l1_block: u64,
    /// The L1 transaction that paid it.
    pub l1_tx_hash: B256,
    /// The batch its proof led to.
    pub batch_index: u64,
}

fn withdrawal_of(row: &AnyRow) -> Result<WithdrawalRecord, StoreError> {
    let amount: Vec<u8> = row.try_get("amount")?;
    if amount.len() != 32 {
        return Err(StoreError::Corrupt("a withdrawal amount is not 32 bytes".into()));
    }
    Ok(WithdrawalRecord {
        l2_sender: address(row, "l2_sender")?,
        index: u64_of(row, "withdrawal_index")?,
        l1_token: address(row, "l1_token")?,
        l2_token: address(row, "l2_token")?,
        recipient: address(row, "recipient")?,
        amount: U256::from_be_slice(&amount),
        leaf: b256(row, "leaf")?,
        block_number: u64_of(row, "block_number")?,
        tx_hash: b256(row, "tx_hash")?,
    })
}

impl Store {
    /// Records in `tx` the withdrawals a block being committed wrote.
    pub(crate) async fn insert_withdrawals_in(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        withdrawals: &[WithdrawalRecord],
    ) -> Result<(), StoreError> {
        for w in withdrawals {
            sqlx::query(
                "INSERT INTO withdrawals (l2_sender, withdrawal_index, l1_token, l2_token, recipient, amount, leaf,
                                          block_number, tx_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(w.l2_sender.as_slice())
            .bind(i64_of(w.index)?)
            .bind(w.l1_token.as_slice())
            .bind(w.l2_token.as_slice())
            .bind(w.recipient.as_slice())
            .bind(w.amount.to_be_bytes::<32>().to_vec())
            .bind(w.leaf.as_slice())
            .bind(i64_of(w.block_number)?)
            .bind(w.tx_hash.as_slice())
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Withdrawal `index` of `l2_sender`, if a sealed block wrote it.
    pub async fn withdrawal(&self, l2_sender: Address, index: u64) -> Result<Option<WithdrawalRecord>, StoreError> {
        let Ok(index) = i64::try_from(index) else { return Ok(None) };
        let row = sqlx::query(
            "SELECT l2_sender, withdrawal_index, l1_token, l2_token, recipient, amount, leaf, block_number, tx_hash
             FROM withdrawals WHERE l2_sender = $1 AND withdrawal_index = $2",
        )
        .bind(l2_sender.as_slice())
        .bind(index)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(withdrawal_of).transpose()
    }

    /// Records in `tx` withdrawals the L1 paid (read again after a rewind: a payout already
    /// held is kept as it is).
    pub(crate) async fn insert_payouts_in(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        payouts: &[WithdrawalPayout],
    ) -> Result<(), StoreError> {
        for p in payouts {
            sqlx::query(
                "INSERT INTO withdrawal_payouts (l2_sender, withdrawal_index, l1_block, l1_tx_hash, batch_index)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (l2_sender, withdrawal_index) DO NOTHING",
            )
            .bind(p.l2_sender.as_slice())
            .bind(i64_of(p.index)?)
            .bind(i64_of(p.l1_block)?)
            .bind(p.l1_tx_hash.as_slice())
            .bind(i64_of(p.batch_index)?)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Forgets in `tx` the payouts of L1 blocks after `l1_block` (the reader reads them again).
    pub(crate) async fn drop_payouts_after_in(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        l1_block: u64,
    ) -> Result<u64, StoreError> {
        let removed = sqlx::query("DELETE FROM withdrawal_payouts WHERE l1_block > $1")
            .bind(i64_of(l1_block)?)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(removed)
    }

    /// Whether and how the L1 paid withdrawal `index` of `l2_sender`, as far as the queue
    /// reader has read.
    pub async fn withdrawal_payout(
        &self,
        l2_sender: Address,
        index: u64,
    ) -> Result<Option<WithdrawalPayout>, StoreError> {
        let Ok(key) = i64::try_from(index) else { return Ok(None) };
        let row = sqlx::query(
            "SELECT l1_block, l1_tx_hash, batch_index FROM withdrawal_payouts
             WHERE l2_sender = $1 AND withdrawal_index = $2",
        )
        .bind(l2_sender.as_slice())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(WithdrawalPayout {
                l2_sender,
                index,
                l1_block: u64_of(&row, "l1_block")?,
                l1_tx_hash: b256(&row, "l1_tx_hash")?,
                batch_index: u64_of(&row, "batch_index")?,
            })
        })
        .transpose()
    }
}
