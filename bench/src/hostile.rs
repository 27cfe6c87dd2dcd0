//! What the hostile-client benches (`abuse`, `shares`) share: the heaviest call a client can
//! ask for, and one JSON-RPC request.

use alloy_primitives::{B256, Bytes, U256};
use anyhow::{Result, bail};
use rollup_types::{genesis::DEV_ACCOUNTS, signer::Signer};
use serde_json::{Value, json};

/// Init code that calls the ecrecover precompile on a valid signature until its gas runs out.
pub(crate) fn ecrecover_loop() -> Bytes {
    let hash = B256::repeat_byte(7);
    let signature = Signer::new(&DEV_ACCOUNTS[0].private_key).expect("key").sign_hash(hash);
    let v = B256::from(U256::from(27 + u8::from(signature.v())));
    let mut code = Vec::new();
    for (i, word) in [hash, v, signature.r().into(), signature.s().into()].iter().enumerate() {
        code.push(0x7f);
        code.extend_from_slice(word.as_slice());
        code.extend_from_slice(&[0x60, (i * 32) as u8, 0x52]);
    }
    let start = code.len() as u8;
    code.extend_from_slice(&[0x5b, 0x60, 0x20, 0x60, 0x80, 0x60, 0x80, 0x60, 0x00, 0x60, 0x01, 0x5a, 0xfa, 0x50]);
    code.extend_from_slice(&[0x60, start, 0x56]);
    code.into()
}

/// One JSON-RPC request's result, or its error as an error.
pub(crate) async fn rpc(http: &reqwest::Client, base: &str, method: &str, params: Value) -> Result<Value> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let reply: Value = http.post(base).json(&body).send().await?.json().await?;
    match reply.get("result") {
        Some(result) => Ok(result.clone()),
        None => bail!("{method}: {}", reply["error"]),
    }
}
