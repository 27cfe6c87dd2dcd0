//! The withdrawals written on L2 (`migrations/chain/0009_withdrawals.sql`): what each
//! `WithdrawalInitiated` event of a sealed block said, for the API and the withdrawal proofs.

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
}
