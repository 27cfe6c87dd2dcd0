// ethers v6 against a running devnet: connect, write through a Contract, read the events
// back with queryFilter and getLogs, contract.on over a filter, tx.wait(2), an EIP-7966
// sync send as a raw request (ethers has no method for it), decoded custom errors and the
// mapping of "nonce too low" to NONCE_EXPIRED, an ERC-20 token, a WebSocketProvider
// (blocks and contract.on over eth_subscribe), calls and state proofs at an earlier block, a
// sped-up transaction's replacement detected by wait(), and ether as the chain's currency
// (getBalance, a wallet's "send ETH" and the fee it pays, INSUFFICIENT_FUNDS, getFeeData), and a
// deposit of ether through the L1 bridge credited as that balance, the deposit and the fee
// vault's credit as type-0x7e transactions of their blocks. Run by clients/run.sh.

import assert from 'node:assert/strict';
import {
  AbiCoder,
  Contract,
  JsonRpcProvider,
  Wallet,
  WebSocketProvider,
  ZeroAddress,
  getAddress,
  id,
  isError,
  keccak256,
  parseEther,
} from 'ethers';
import {
  BRIDGE,
  CHAIN_ID,
  DEV_KEYS,
  L1_RPC_URL,
  RPC_URL,
  check,
  contracts,
  eventually,
  finish,
  needs,
  startClient,
  verifyStateProof,
} from './harness.mjs';

startClient('ethers');

// Every JSON-RPC method ethers sends (batches included), to check which ones it used.
const sent = [];
class RecordingProvider extends JsonRpcProvider {
  async _send(payload) {
    for (const p of [payload].flat()) sent.push(p.method);
    const result = await super._send(payload);
    if (process.env.DEBUG_RPC) {
      for (const [i, p] of [payload].flat().entries()) {
        console.log(`-> ${p.method} ${JSON.stringify(p.params).slice(0, 200)}\n<- ${JSON.stringify(result[i]).slice(0, 300)}`);
      }
    }
    return result;
  }
}
// The default polling interval is 4 s; the devnet seals a block every 200 ms.
const provider = new RecordingProvider(RPC_URL, undefined, { pollingInterval: 100, cacheTimeout: -1 });
const wallet = new Wallet(DEV_KEYS[5], provider);
const me = wallet.address;
const TO = getAddress('0x00000000000000000000000000000000000000a2');

const { address, abi, WETH, USDC } = await contracts();
const sys = new Contract(address, abi, wallet);

// 1. Connect.
await check('1 chainId and block number', async () => {
  const network = await provider.getNetwork();
  assert.equal(network.chainId, BigInt(CHAIN_ID));
  const head = await provider.getBlockNumber();
  assert.equal(typeof head, 'number');
  const block = await provider.getBlock(head);
  assert.equal(block.number, head);
});

// 2. Sign, send, wait for the receipt.
const amount1 = 1_000_001n;
const first = await check('2 contract.transfer + tx.wait()', async () => {
  const before = await sys.balanceOf(USDC, me);
  const tx = await sys.transfer(USDC, TO, amount1);
  const receipt = await tx.wait(1, 10_000);
  assert.equal(receipt.status, 1);
  assert.equal(receipt.hash, tx.hash);
  assert.equal(receipt.from, me);
  assert.equal(receipt.to, getAddress(address));
  assert.equal(await sys.balanceOf(USDC, me), before - amount1);
  assert.equal(receipt.logs.length, 2, "the system contract's Transfer, then the token's ERC-20 Transfer");
  const [log, atToken] = receipt.logs;
  assert.equal(log.eventName, 'Transfer');
  assert.deepEqual(log.args.toObject(), { token: USDC, from: me, to: TO, amount: amount1 });
  assert.equal(atToken.address, getAddress(USDC));
  assert.equal(atToken.topics[0], id('Transfer(address,address,uint256)'));
  return receipt;
});

// 3. The events by range and by block hash, consistent with the receipt.
await check('3 queryFilter / getLogs match the receipt', async () => {
  const receipt = needs(first, 'the receipt of check 2');
  const fromBlock = Math.max(0, receipt.blockNumber - 20);
  const events = await sys.queryFilter(sys.filters.Transfer(USDC, me), fromBlock, receipt.blockNumber);
  for (const e of events) {
    assert.equal(e.args.token, USDC, 'the topic filter on token');
    assert.equal(e.args.from, me, 'the topic filter on from');
    assert.ok(e.blockNumber >= fromBlock && e.blockNumber <= receipt.blockNumber, 'the block range');
  }
  const mine = events.filter((e) => e.transactionHash === receipt.hash);
  assert.equal(mine.length, 1, `the transfer's event among ${events.length} in [${fromBlock}, ${receipt.blockNumber}]`);
  const [ev] = mine;
  assert.equal(ev.eventName, 'Transfer');
  assert.equal(ev.fragment.format(), 'Transfer(address,address,address,uint256)');
  assert.deepEqual(ev.args.toObject(), { token: USDC, from: me, to: TO, amount: amount1 });
  assert.equal(ev.blockHash, receipt.blockHash);
  assert.equal(ev.blockNumber, receipt.blockNumber);
  assert.equal(ev.transactionIndex, receipt.index);
  assert.equal(ev.removed, false);
  const inReceipt = receipt.logs.find((l) => l.index === ev.index);
  assert.ok(inReceipt, `logIndex ${ev.index} is in the receipt`);
  assert.deepEqual([...inReceipt.topics], [...ev.topics]);
  assert.equal(inReceipt.data, ev.data);

  // The same log by block hash, filtered on the recipient.
  const filter = await sys.filters.Transfer(null, null, TO).getTopicFilter();
  const byHash = await provider.getLogs({ address, topics: filter, blockHash: receipt.blockHash });
  const again = byHash.find((l) => l.transactionHash === receipt.hash);
  assert.ok(again, 'the log by blockHash');
  assert.equal(again.index, ev.index);
  assert.equal(again.transactionIndex, ev.transactionIndex);
});

// 4. contract.on sees the next transfer arrive.
const amount2 = 2_000_002n;
const second = await check(
  '4 contract.on(Transfer) sees a new transfer',
  async () => {
    const seen = [];
    const filter = sys.filters.Transfer(null, me);
    // With a filter (not an event name) ethers 6 passes only the ContractEventPayload: the
    // decoded args are on it, not spread before it.
    const listener = (...params) => {
      const payload = params.at(-1);
      const [token, from, to, amount] = payload.args;
      seen.push({ token, from, to, amount, log: payload.log });
    };
    const mark = sent.length;
    await sys.on(filter, listener);
    try {
      // Let the subscriber install its filter before sending.
      await eventually(
        () => (sent.slice(mark).includes('eth_newFilter') ? true : undefined),
        5_000,
        'ethers installs a filter (eth_newFilter)',
      );
      const tx = await sys.transfer(USDC, TO, amount2);
      const got = await eventually(
        () => seen.find((e) => e.log.transactionHash === tx.hash),
        10_000,
        `the Transfer of ${tx.hash} delivered to contract.on`,
      );
      assert.deepEqual(
        { token: got.token, from: got.from, to: got.to, amount: got.amount },
        { token: USDC, from: me, to: TO, amount: amount2 },
      );
      assert.ok(sent.slice(mark).includes('eth_getFilterChanges'), 'delivered through eth_getFilterChanges');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.filter((e) => e.log.transactionHash === tx.hash).length, 1, 'delivered once');
      return { tx, log: got.log };
    } finally {
      await sys.off(filter, listener);
    }
  },
  20_000,
);

// 5. Two confirmations: an idle chain seals empty blocks, so the head moves on.
await check('5 tx.wait(2)', async () => {
  const { tx, log } = needs(second, 'the transfer of check 4');
  const receipt = await tx.wait(2, 15_000);
  assert.equal(receipt.status, 1);
  assert.equal(receipt.blockHash, log.blockHash);
  assert.ok((await receipt.confirmations()) >= 2);
  const head = await provider.getBlockNumber();
  assert.ok(head >= receipt.blockNumber + 1, `head ${head} is at least one block past ${receipt.blockNumber}`);
});

// 6. EIP-7966 (ethers 6.17 has no method for it: a raw request).
await check('6 eth_sendRawTransactionSync (raw request)', async () => {
  const amount3 = 3_000_003n;
  const request = await wallet.populateTransaction(await sys.transfer.populateTransaction(USDC, TO, amount3));
  const signed = await wallet.signTransaction(request);
  const raw = await provider.send('eth_sendRawTransactionSync', [signed, 10_000]);
  assert.equal(raw.transactionHash, keccak256(signed));
  assert.equal(raw.status, '0x1');
  const receipt = await provider.getTransactionReceipt(raw.transactionHash);
  assert.equal(receipt.blockHash, raw.blockHash);
  assert.equal(receipt.blockNumber, Number(raw.blockNumber));
  assert.equal(receipt.logs.length, raw.logs.length);
  const parsed = sys.interface.parseLog(raw.logs[0]);
  assert.equal(parsed.name, 'Transfer');
  assert.equal(parsed.args.amount, amount3);
  assert.equal(Number(raw.logs[0].logIndex), receipt.logs[0].index);
});

// 7. Reverts come back as the contract's decoded custom errors.
await check('7a swap with an impossible minAmountOut: error.revert.name InsufficientOutput', async () => {
  const amountIn = 10n ** 15n;
  const minOut = 10n ** 30n;
  const quoted = await sys.getAmountOut(WETH, USDC, amountIn);
  for (const [what, run] of [
    ['staticCall', () => sys.swap.staticCall(WETH, USDC, amountIn, minOut)],
    ['estimateGas', () => sys.swap.estimateGas(WETH, USDC, amountIn, minOut)],
    ['send', () => sys.swap(WETH, USDC, amountIn, minOut)],
  ]) {
    const err = await run().then(
      (ok) => assert.fail(`${what} of an impossible swap succeeded: ${ok}`),
      (e) => e,
    );
    assert.ok(isError(err, 'CALL_EXCEPTION'), `${what}: CALL_EXCEPTION, got ${err.code}: ${err.shortMessage}`);
    // ethers decodes a contract's custom errors in staticCall only; after estimateGas (which
    // a send runs first) error.revert is null ("unknown custom error") and the contract's
    // interface decodes error.data.
    const revert = what === 'staticCall' ? err.revert : sys.interface.parseError(err.data);
    assert.equal(revert?.name, 'InsufficientOutput', `${what}: revert name (${err.shortMessage}, data ${err.data})`);
    assert.equal(revert.signature, 'InsufficientOutput(uint256,uint256)');
    assert.deepEqual([...revert.args], [quoted, minOut], `${what}: revert args`);
  }
});

await check('7b transfer of more than the balance: error.revert.name InsufficientBalance', async () => {
  const balance = await sys.balanceOf(USDC, me);
  const err = await sys.transfer.staticCall(USDC, TO, balance + 1n).then(
    () => assert.fail('an overdraft called fine'),
    (e) => e,
  );
  assert.ok(isError(err, 'CALL_EXCEPTION'), `CALL_EXCEPTION, got ${err.code}`);
  assert.equal(err.revert?.name, 'InsufficientBalance');
  assert.deepEqual([...err.revert.args], [USDC, me, balance, balance + 1n]);
});

// A swap that reverts, sent anyway (a gas limit given, so no estimate): included with status 0,
// and tx.wait() throws CALL_EXCEPTION carrying the receipt.
await check('7c a reverting swap sent with a gas limit: tx.wait() throws CALL_EXCEPTION, status 0', async () => {
  const nonce = await provider.getTransactionCount(me, 'pending');
  const tx = await sys.swap(WETH, USDC, 10n ** 15n, 10n ** 30n, { gasLimit: 300_000 });
  const err = await tx.wait(1, 10_000).then(
    (receipt) => assert.fail(`a reverting swap succeeded: status ${receipt.status}`),
    (e) => e,
  );
  assert.ok(isError(err, 'CALL_EXCEPTION'), `CALL_EXCEPTION, got ${err.code}: ${err.shortMessage}`);
  assert.equal(err.receipt?.status, 0);
  assert.equal(err.receipt.hash, tx.hash);
  assert.equal(err.receipt.logs.length, 0, 'a reverted transaction has no logs');
  assert.equal(await provider.getTransactionCount(me, 'latest'), nonce + 1, 'the nonce is used');
});

// 8. "nonce too low" becomes ethers' NONCE_EXPIRED.
await check('8 a used nonce: NONCE_EXPIRED', async () => {
  const err = await sys.transfer(USDC, TO, 1n, { nonce: 0 }).then(
    (tx) => assert.fail(`a transaction with nonce 0 was accepted: ${tx.hash}`),
    (e) => e,
  );
  assert.ok(isError(err, 'NONCE_EXPIRED'), `NONCE_EXPIRED, got ${err.code}: ${err.shortMessage}`);
  assert.match(err.info?.error?.message ?? '', /^nonce too low/, 'geth wording');
});

// 9. Tokens are ERC-20 contracts backed by the ledger.
const ERC20_ABI = [
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function balanceOf(address) view returns (uint256)',
  'function allowance(address,address) view returns (uint256)',
  'function transfer(address,uint256) returns (bool)',
  'function approve(address,uint256) returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
];
await check('9 ERC-20 contract: reads, transfer with its event, approve and allowance', async () => {
  const usdc = new Contract(USDC, ERC20_ABI, wallet);
  assert.equal(await usdc.symbol(), 'USDC');
  assert.equal(await usdc.decimals(), 6n);
  assert.equal(await usdc.balanceOf(me), await sys.balanceOf(USDC, me));
  const before = await usdc.balanceOf(TO);
  const receipt = await (await usdc.transfer(TO, 11n)).wait(1, 10_000);
  assert.equal(receipt.status, 1);
  const parsed = receipt.logs.map((l) => usdc.interface.parseLog(l)).filter((e) => e?.name === 'Transfer');
  assert.equal(parsed.length, 1, 'one ERC-20 Transfer at the token');
  assert.deepEqual([...parsed[0].args], [me, TO, 11n]);
  assert.equal(await usdc.balanceOf(TO), before + 11n);
  const spender = getAddress('0x00000000000000000000000000000000000000b2');
  await (await usdc.approve(spender, 99n)).wait(1, 10_000);
  assert.equal(await usdc.allowance(me, spender), 99n);
});

await check('10 WebSocketProvider: blocks and contract.on over eth_subscribe', async () => {
  const ws = new WebSocketProvider(RPC_URL.replace(/^http/, 'ws'), CHAIN_ID);
  try {
    const blocks = [];
    const transfers = [];
    await ws.on('block', (n) => blocks.push(n));
    const watched = new Contract(address, abi, ws);
    // With a filter, ethers 6 passes only the ContractEventPayload (as in check 4).
    await watched.on(watched.filters.Transfer(null, null, TO), (...params) => {
      const payload = params.at(-1);
      transfers.push({ amount: payload.args[3], hash: payload.log.transactionHash });
    });
    await eventually(() => blocks.length > 0 || undefined, 10_000, 'a new block over the socket');
    const tx = await sys.transfer(USDC, TO, 17n);
    const receipt = await tx.wait(1, 10_000);
    await eventually(() => transfers.some((t) => t.hash === receipt.hash) || undefined, 10_000, 'the Transfer over the socket');
    assert.equal(transfers.find((t) => t.hash === receipt.hash).amount, 17n);
    await eventually(() => blocks.some((n) => n >= receipt.blockNumber) || undefined, 10_000, 'its block');
    assert.equal(await ws.getBlockNumber() >= receipt.blockNumber, true);
  } finally {
    await ws.destroy();
  }
});

await check('11 calls at an earlier blockTag, and eth_getProof verified against stateRoot', async () => {
  const before = await sys.balanceOf(USDC, TO);
  const receipt = await (await sys.transfer(USDC, TO, 13n)).wait(1, 10_000);
  const n = receipt.blockNumber;
  assert.equal(await sys.balanceOf(USDC, TO, { blockTag: n - 1 }), before, 'a call at the block before');
  assert.equal(await sys.balanceOf(USDC, TO, { blockTag: n }), before + 13n);
  assert.equal(await provider.getTransactionCount(me, n), (await provider.getTransactionCount(me, n - 1)) + 1);
  const key = keccak256(AbiCoder.defaultAbiCoder().encode(['uint256', 'address', 'address'], [2n, USDC, TO]));
  const tag = `0x${n.toString(16)}`;
  const proof = await provider.send('eth_getProof', [address, [key], tag]);
  const { stateRoot } = await provider.send('eth_getBlockByNumber', [tag, false]);
  assert.equal(proof.storageHash, stateRoot);
  assert.equal(verifyStateProof(keccak256, stateRoot, key, proof.storageProof[0].proof), before + 13n);
  assert.equal(BigInt(proof.storageProof[0].value), before + 13n);
});

await check('12 a sped-up transaction: wait() reports TRANSACTION_REPLACED with the replacement', async () => {
  const nonce = await provider.getTransactionCount(me, 'pending');
  const fees = (gwei) => ({ gasLimit: 200_000n, maxFeePerGas: gwei * 10n ** 9n, maxPriorityFeePerGas: gwei * 10n ** 9n });
  // Sent by the wallet itself: a Contract's ContractTransactionResponse does not carry the
  // block ethers scans for replacements from. Behind a nonce gap of one, so that both stay
  // pending until the gap is filled.
  const send = (amount, fee) =>
    wallet.sendTransaction({
      to: address,
      data: sys.interface.encodeFunctionData('transfer', [USDC, TO, amount]),
      nonce: nonce + 1,
      ...fees(fee),
    });
  const slow = await send(12n, 1n);
  const fast = await send(13n, 2n);
  await (await sys.transfer(USDC, TO, 1n, { nonce })).wait(1, 10_000);
  await assert.rejects(slow.wait(1, 20_000), (err) => {
    assert.ok(isError(err, 'TRANSACTION_REPLACED'), `${err.code}: ${err.message}`);
    assert.equal(err.reason, 'replaced');
    assert.equal(err.replacement.hash, fast.hash);
    assert.equal(err.receipt.hash, fast.hash);
    return true;
  });
  assert.equal(await provider.getTransaction(slow.hash), null, 'null by hash, as geth answers');
});

// 13. Ether is the chain's currency: the ledger's balance of the bridged-ETH token, moved by a
// plain "send ETH" (empty calldata). Every transaction pays its fee in ether (docs/fees.md §2):
// gasUsed × effectiveGasPrice, taken from its sender before it runs and credited to the fee
// vault (§6), so the sender pays the value plus exactly that fee.
const ETH_TOKEN = getAddress('0x7e5dBF11c9EF14E152A19D5f8ea75a329092d5a6');
const FEE_VAULT = getAddress('0x4200000000000000000000000000000000000011');
const MIN_BASE_FEE = 1_000_000n;
const eth = new Contract(ETH_TOKEN, ERC20_ABI, provider);
// The base fee of the block after `block` (docs/fees.md §3): EIP-1559 around a target of half
// the block gas limit, an eighth at most a block, integer division toward zero, floored.
const nextBaseFee = (block) => {
  const base = block.baseFeePerGas;
  const target = block.gasLimit / 2n;
  const next = base + (base * (block.gasUsed - target)) / target / 8n;
  return next > MIN_BASE_FEE ? next : MIN_BASE_FEE;
};

await check('13a provider.getBalance of a dev account equals the ERC-20 balanceOf at 0x7e5d…', async () => {
  const balance = await provider.getBalance(me);
  assert.ok(balance > 0n, `a dev account holds ether (got ${balance})`);
  assert.equal(balance, await eth.balanceOf(me));
  assert.equal(await provider.getBalance(Wallet.createRandom().address), 0n, 'a fresh address holds nothing');
});

await check('13b wallet.sendTransaction({ to, value }): "send ETH", then wait()', async () => {
  const fresh = Wallet.createRandom().address;
  const value = parseEther('0.5');
  const before = await provider.getBalance(me);
  // What ethers reads to fill in the fees: a maxFeePerGas, so it signs EIP-1559.
  const feeData = await provider.getFeeData();
  assert.ok(feeData.maxFeePerGas != null, `getFeeData gives a maxFeePerGas (got ${feeData.maxFeePerGas})`);
  assert.ok(feeData.maxPriorityFeePerGas != null, `getFeeData gives a maxPriorityFeePerGas (got ${feeData.maxPriorityFeePerGas})`);
  const mark = sent.length;
  const tx = await wallet.sendTransaction({ to: fresh, value });
  const methods = sent.slice(mark);
  assert.ok(methods.includes('eth_estimateGas'), `ethers estimated the gas (sent: ${methods})`);
  assert.equal(tx.type, 2, 'ethers chose an EIP-1559 (type 2) transaction by itself');
  assert.equal(tx.gasLimit, 21_000n, "the gas limit is eth_estimateGas's answer: 21,000");
  assert.ok(tx.maxFeePerGas != null && tx.maxPriorityFeePerGas != null, 'a fee cap and a tip were signed');
  const receipt = await tx.wait(1, 10_000);
  assert.equal(receipt.status, 1);
  assert.equal(receipt.from, me);
  assert.equal(receipt.to, fresh);
  assert.equal(receipt.type, 2, "the receipt's type");

  // The fee: the scheduled gas of a transfer of ether at the 1559 price over the block's base fee.
  const n = receipt.blockNumber;
  const raw = await provider.send('eth_getTransactionReceipt', [tx.hash]);
  assert.equal(receipt.gasUsed, 21_000n, 'a transfer of ether uses its scheduled 21,000 gas');
  assert.equal(receipt.gasPrice, BigInt(raw.effectiveGasPrice), "ethers' receipt.gasPrice is the effectiveGasPrice");
  const block = await provider.getBlock(n);
  const baseFee = block.baseFeePerGas;
  assert.ok(baseFee >= MIN_BASE_FEE, `the block's base fee ${baseFee} is at least ${MIN_BASE_FEE} wei`);
  const mined = await provider.getTransaction(tx.hash);
  assert.equal(mined.type, 2);
  const tipped = baseFee + mined.maxPriorityFeePerGas;
  const price = mined.maxFeePerGas < tipped ? mined.maxFeePerGas : tipped;
  assert.ok(receipt.gasPrice > 0n, `effectiveGasPrice ${receipt.gasPrice} > 0`);
  assert.equal(
    receipt.gasPrice,
    price,
    `effectiveGasPrice = min(maxFeePerGas ${mined.maxFeePerGas}, baseFeePerGas ${baseFee} + maxPriorityFeePerGas ${mined.maxPriorityFeePerGas})`,
  );
  const fee = receipt.gasUsed * receipt.gasPrice;
  assert.equal(receipt.fee, fee, 'receipt.fee is gasUsed × effectiveGasPrice');

  // Exact balances: at the receipt's block against the block before, and now against before.
  assert.equal(await provider.getBalance(fresh, n), value, "the recipient holds 0.5 ETH at the receipt's block");
  assert.equal(await provider.getBalance(fresh, n - 1), 0n, 'nothing at the block before');
  assert.equal(
    (await provider.getBalance(me, n - 1)) - (await provider.getBalance(me, n)),
    value + fee,
    `the sender paid exactly 0.5 ETH + gasUsed × effectiveGasPrice (${fee} wei) in the block`,
  );
  assert.equal(await provider.getBalance(fresh), value, 'the recipient holds 0.5 ETH');
  assert.equal(await provider.getBalance(me), before - value - fee, 'the sender paid exactly 0.5 ETH + the fee');
  assert.equal(await eth.balanceOf(fresh), value, "the token's balanceOf shows the same");

  // The fee vault is credited in the same block: at least this fee (the block's other
  // transactions pay too), and exactly the fees of all the block's receipts.
  const vaultGain = (await provider.getBalance(FEE_VAULT, n)) - (await provider.getBalance(FEE_VAULT, n - 1));
  assert.ok(vaultGain >= fee, `the fee vault gained ${vaultGain} wei in block ${n}, at least the fee ${fee}`);
  const receipts = await provider.send('eth_getBlockReceipts', [receipt.blockHash]);
  const blockFees = receipts.reduce((sum, r) => sum + BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice), 0n);
  assert.equal(vaultGain, blockFees, `the fee vault gained the fees of the block's ${receipts.length} receipts`);
  // The credit is visible (docs/fees.md §8): the block closes with the vault's type-0x7e
  // transaction, whose receipt logs the fees minted to the vault; ethers reads it.
  const withTxs = await provider.getBlock(n, true);
  const last = withTxs.prefetchedTransactions[withTxs.prefetchedTransactions.length - 1];
  assert.equal(last.type, 0x7e, 'the block closes with a type-0x7e credit');
  assert.equal(last.from, FEE_VAULT);
  const creditReceipt = await provider.getTransactionReceipt(last.hash);
  assert.equal(creditReceipt.status, 1);
  assert.equal(creditReceipt.fee, 0n, 'the credit pays no fee');
  const minted = creditReceipt.logs.filter((l) => l.address === ETH_TOKEN).map((l) => [...eth.interface.parseLog(l).args]);
  assert.deepEqual(minted, [[ZeroAddress, FEE_VAULT, vaultGain]], "the fees as one ERC-20 Transfer to the vault");
  // The ledger's Transfer at the system contract, then the ERC-20 Transfer at the token.
  assert.deepEqual(
    receipt.logs.map((l) => l.address),
    [getAddress(address), ETH_TOKEN],
    'the ledger\'s Transfer, then the token\'s',
  );
  assert.deepEqual(sys.interface.parseLog(receipt.logs[0])?.args.toObject(), { token: ETH_TOKEN, from: me, to: fresh, amount: value });
  assert.deepEqual([...eth.interface.parseLog(receipt.logs[1]).args], [me, fresh, value]);
});

// More ether than the balance. The sequencer refuses it at the door with geth's words, which
// ethers maps to INSUFFICIENT_FUNDS: first with a gas limit given (no estimate, the refusal
// comes from eth_sendRawTransaction), then as a wallet sends it, estimating the gas first.
const overdraft = async (extra) => {
  const fresh = Wallet.createRandom().address;
  const balance = await provider.getBalance(me);
  const nonce = await provider.getTransactionCount(me, 'pending');
  const mark = sent.length;
  const err = await wallet.sendTransaction({ to: fresh, value: balance + 1n, ...extra }).then(
    (tx) => assert.fail(`a send of more than the balance was accepted: ${tx.hash}`),
    (e) => e,
  );
  const methods = sent.slice(mark);
  assert.ok(isError(err, 'INSUFFICIENT_FUNDS'), `INSUFFICIENT_FUNDS, got ${err.code}: ${err.shortMessage} (sent: ${methods})`);
  assert.match(
    err.info?.error?.message ?? '',
    /^insufficient funds for gas \* price \+ value: address 0x[0-9a-fA-F]{40} have \d+ want \d+/,
    'geth wording',
  );
  assert.equal(await provider.getBalance(me), balance, 'nothing moved');
  assert.equal(await provider.getTransactionCount(me, 'pending'), nonce, 'no nonce used');
  return methods;
};

await check('13c more ether than the balance, gasLimit given: the door\'s INSUFFICIENT_FUNDS', async () => {
  const gasLimit = await provider.estimateGas({ from: me, to: Wallet.createRandom().address, value: 1n });
  const methods = await overdraft({ gasLimit });
  assert.ok(!methods.includes('eth_estimateGas'), `no estimate (sent: ${methods})`);
  assert.ok(methods.includes('eth_sendRawTransaction'), `refused by eth_sendRawTransaction (sent: ${methods})`);
});

await check('13d more ether than the balance, as a wallet sends it (gas estimated): INSUFFICIENT_FUNDS', async () => {
  await overdraft({});
});

// The price a wallet is told: eth_gasPrice (getFeeData().gasPrice) is the base fee of the block
// after the head (docs/fees.md §3), computed here from the head's header. The head is read
// before and after, and the reads retried until it did not move between them.
await check('13e getFeeData: gasPrice (eth_gasPrice) is the next block\'s base fee, maxFeePerGas set', async () => {
  for (let attempt = 1; ; attempt++) {
    const head = await provider.getBlock('latest');
    const gasPrice = BigInt(await provider.send('eth_gasPrice', []));
    const feeData = await provider.getFeeData();
    const after = await provider.getBlockNumber();
    if (after !== head.number) {
      assert.ok(attempt < 20, `the head moved during each of ${attempt} attempts`);
      continue;
    }
    const next = nextBaseFee(head);
    assert.ok(next >= MIN_BASE_FEE, `the next base fee ${next} is at least ${MIN_BASE_FEE} wei`);
    assert.equal(gasPrice, next, `eth_gasPrice is the base fee after block ${head.number} (base ${head.baseFeePerGas}, gas ${head.gasUsed})`);
    assert.equal(feeData.gasPrice, next, 'getFeeData().gasPrice is the same');
    assert.ok(feeData.maxFeePerGas != null && feeData.maxFeePerGas >= next, `getFeeData().maxFeePerGas ${feeData.maxFeePerGas} covers it`);
    assert.equal(feeData.maxPriorityFeePerGas, 0n, 'eth_maxPriorityFeePerGas is 0: a tip buys nothing');
    return;
  }
});

// 14. A deposit: ether sent to the L1 bridge's depositETH is credited on L2, two L1 blocks
// later, as the recipient's ether balance (docs/bridge.md §2 and §3.2), all through ethers.
const BRIDGE_ABI = [
  'function depositETH(address to) payable returns (uint256 index)',
  'event DepositQueued(uint256 indexed index, address indexed from, address indexed to, address l1Token, address l2Token, uint256 amount, uint256 meta, uint64 l1Block)',
];
// Ether's metadata word: "ETH" left-aligned, 18 decimals in the lowest byte.
const ETHER_META = (0x455448n << 232n) | 18n;
// An L1 key of this script's own (the devnet sends on L1 with keys 0 to 2).
const L1_KEY = DEV_KEYS[9];

await check(
  '14 depositETH on L1 to a fresh address: provider.getBalance on L2 becomes exactly the deposit, as balanceOf at 0x7e5d…',
  async () => {
    const l1 = new JsonRpcProvider(L1_RPC_URL, undefined, { pollingInterval: 100, cacheTimeout: -1 });
    try {
      const depositor = new Wallet(L1_KEY, l1);
      const bridge = new Contract(BRIDGE, BRIDGE_ABI, depositor);
      const fresh = Wallet.createRandom().address;
      const value = parseEther('0.3');
      assert.equal(await provider.getBalance(fresh), 0n, 'a fresh address holds nothing on L2');

      const simulated = await bridge.depositETH.staticCall(fresh, { value });
      const tx = await bridge.depositETH(fresh, { value });
      const receipt = await tx.wait(1, 15_000);
      assert.equal(receipt.status, 1, 'depositETH succeeded on L1');
      const queued = receipt.logs.map((l) => bridge.interface.parseLog(l)).filter((e) => e?.name === 'DepositQueued');
      assert.equal(queued.length, 1, 'one DepositQueued');
      // A batcher's post may queue a reading of the L1's fees between the simulation and the
      // deposit: the entry's index is the simulation's or later.
      const { index, ...entry } = queued[0].args.toObject();
      assert.ok(index >= simulated, `the entry's index ${index}, the simulation's ${simulated}`);
      assert.deepEqual(entry, {
        from: depositor.address,
        to: fresh,
        l1Token: ZeroAddress,
        l2Token: ETH_TOKEN,
        amount: value,
        meta: ETHER_META,
        l1Block: BigInt(receipt.blockNumber),
      });
      const n = receipt.blockNumber;
      assert.equal((await l1.getBalance(BRIDGE, n)) - (await l1.getBalance(BRIDGE, n - 1)), value, 'the bridge locked the ether on L1');

      // Credited at the start of an L2 block once the sequencer has read the entry (2 L1
      // blocks deep): the first non-zero balance must be the whole deposit.
      const credited = await eventually(
        async () => {
          const balance = await provider.getBalance(fresh);
          return balance === 0n ? undefined : balance;
        },
        25_000,
        `queue entry ${index} (${value} wei to ${fresh}, L1 block ${n}) credited on L2`,
        200,
      );
      assert.equal(credited, value, 'provider.getBalance is exactly the deposit');
      assert.equal(await eth.balanceOf(fresh), value, "the token's balanceOf agrees");
      assert.equal(await provider.getBalance(fresh), value, 'and stays so');

      // The credit is a transaction of its L2 block (docs/fees.md §8), found as an indexer
      // finds it: the ether token's Transfer from the zero address, by queryFilter.
      const mints = await eth.queryFilter(eth.filters.Transfer(ZeroAddress, fresh), 0);
      assert.equal(mints.length, 1, 'one mint to the fresh address');
      const [mint] = mints;
      assert.equal(mint.args.value, value, 'of the deposit');
      const deposit = await provider.getTransaction(mint.transactionHash);
      assert.equal(deposit.type, 0x7e, 'a type-0x7e transaction');
      assert.equal(deposit.from, depositor.address, 'from the L1 depositor');
      assert.equal(deposit.to, fresh, 'to the recipient');
      assert.equal(deposit.value, value);
      assert.equal(deposit.blockNumber, mint.blockNumber);
      const depositReceipt = await mint.getTransactionReceipt();
      assert.equal(depositReceipt.status, 1);
      assert.equal(depositReceipt.fee, 0n, 'paid on L1: no L2 fee');
      assert.ok(depositReceipt.logs.some((l) => l.index === mint.index), 'the receipt holds the mint');
      const block = await provider.getBlock(mint.blockNumber, true);
      assert.equal(block.prefetchedTransactions[mint.transactionIndex].hash, mint.transactionHash, 'in its block');
    } finally {
      l1.destroy();
    }
  },
  45_000,
);

provider.destroy();
finish('ethers');
