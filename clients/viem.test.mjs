// viem against a running devnet: connect, write, read the events back by range and by
// block hash, watch them arrive over a polled filter, confirmations, EIP-7966 sync sends,
// decoded custom errors, the mapping of "nonce too low", tokens as ERC-20 contracts (viem's
// erc20Abi: reads, multicall, approve, transfer, transferFrom), a swap after an approval, and
// the WebSocket transport (new heads and a contract event over eth_subscribe), reads and
// state proofs at an earlier block, a sped-up transaction's replacement detected, and ether
// as the chain's currency (getBalance, a wallet's "send ETH" and the fee it pays,
// InsufficientFundsError, FeeCapTooLowError), and a deposit of ether through the L1 bridge
// credited as that balance, the deposit and the fee vault's credit as type-0x7e transactions
// of their blocks (with viem's OP Stack formatters). Run by clients/run.sh.

import assert from 'node:assert/strict';
import {
  BaseError,
  ContractFunctionRevertedError,
  FeeCapTooLowError,
  InsufficientFundsError,
  NonceTooLowError,
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeAbiParameters,
  encodeFunctionData,
  erc20Abi,
  formatLog,
  getAbiItem,
  getAddress,
  http,
  keccak256,
  parseAbi,
  parseAbiParameters,
  parseEther,
  parseEventLogs,
  toHex,
  webSocket,
  zeroAddress,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { chainConfig as opStackChainConfig } from 'viem/op-stack';
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

startClient('viem');

const chain = defineChain({
  id: CHAIN_ID,
  name: 'Optimistic rollup devnet',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL] } },
  // The devnet seals a block every 200 ms here; without it viem polls every 4 s.
  blockTime: 200,
});

// Every JSON-RPC method viem sends, to check which ones an action really used.
const sent = [];
const transport = http(RPC_URL, {
  timeout: 10_000,
  retryCount: 0,
  onFetchRequest: async (request) => {
    const body = JSON.parse(await request.clone().text());
    for (const r of Array.isArray(body) ? body : [body]) sent.push(r.method);
  },
});
const client = createPublicClient({ chain, transport, pollingInterval: 100 });
// The same chain read with viem's OP Stack formatters, which know type-0x7e transactions.
const opChain = defineChain({ ...chain, ...opStackChainConfig, blockTime: chain.blockTime });
const opClient = createPublicClient({ chain: opChain, transport, pollingInterval: 100 });
const account = privateKeyToAccount(DEV_KEYS[4]);
const wallet = createWalletClient({ chain, transport, account, pollingInterval: 100 });
const me = account.address;
const TO = getAddress('0x00000000000000000000000000000000000000a1');

const { address, abi, WETH, USDC } = await contracts();
const balanceOf = (owner) => client.readContract({ address, abi, functionName: 'balanceOf', args: [USDC, owner] });
const transfer = (amount, extra = {}) =>
  wallet.writeContract({ address, abi, functionName: 'transfer', args: [USDC, TO, amount], ...extra });
const methodsDuring = async (fn) => {
  const from = sent.length;
  const value = await fn();
  return { value, methods: sent.slice(from) };
};

// 1. Connect.
await check('1 chainId and block number', async () => {
  assert.equal(await client.getChainId(), CHAIN_ID);
  const head = await client.getBlockNumber({ cacheTime: 0 });
  assert.equal(typeof head, 'bigint');
  const block = await client.getBlock({ blockNumber: head });
  assert.equal(block.number, head);
});

// 2. Sign, send, wait for the receipt.
const amount1 = 1_000_001n;
const first = await check('2 writeContract transfer + waitForTransactionReceipt', async () => {
  const before = await balanceOf(me);
  const toBefore = await balanceOf(TO);
  const hash = await transfer(amount1);
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 10_000 });
  assert.equal(receipt.status, 'success');
  assert.equal(receipt.transactionHash, hash);
  assert.equal(getAddress(receipt.from), me);
  assert.equal(getAddress(receipt.to), getAddress(address));
  assert.equal(await balanceOf(me), before - amount1);
  assert.equal(await balanceOf(TO), toBefore + amount1);
  const [decoded, ...more] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'Transfer' });
  assert.equal(more.length, 0, 'one Transfer in the receipt');
  assert.deepEqual(decoded.args, { token: USDC, from: me, to: TO, amount: amount1 });
  return { hash, receipt };
});

// 3. The events by range and by block hash, consistent with the receipt.
await check('3 getContractEvents / getLogs match the receipt', async () => {
  const { hash, receipt } = needs(first, 'the receipt of check 2');
  const fromBlock = receipt.blockNumber > 20n ? receipt.blockNumber - 20n : 0n;
  const events = await client.getContractEvents({
    address,
    abi,
    eventName: 'Transfer',
    args: { token: USDC, from: me },
    fromBlock,
    toBlock: receipt.blockNumber,
  });
  for (const e of events) {
    assert.equal(e.args.token, USDC, 'the topic filter on token');
    assert.equal(e.args.from, me, 'the topic filter on from');
    assert.ok(e.blockNumber >= fromBlock && e.blockNumber <= receipt.blockNumber, 'the block range');
  }
  const mine = events.filter((e) => e.transactionHash === hash);
  assert.equal(mine.length, 1, `the transfer's event among ${events.length} in [${fromBlock}, ${receipt.blockNumber}]`);
  const [ev] = mine;
  assert.equal(ev.eventName, 'Transfer');
  assert.deepEqual(ev.args, { token: USDC, from: me, to: TO, amount: amount1 });
  assert.equal(ev.blockHash, receipt.blockHash);
  assert.equal(ev.blockNumber, receipt.blockNumber);
  assert.equal(ev.transactionIndex, receipt.transactionIndex);
  assert.equal(ev.removed, false);
  const inReceipt = receipt.logs.find((l) => l.logIndex === ev.logIndex);
  assert.ok(inReceipt, `logIndex ${ev.logIndex} is in the receipt`);
  assert.deepEqual(inReceipt.topics, ev.topics);
  assert.equal(inReceipt.data, ev.data);
  assert.equal(inReceipt.transactionIndex, ev.transactionIndex);

  // The same log by block hash, with the event given as an ABI item.
  const byHash = await client.getLogs({
    address,
    event: getAbiItem({ abi, name: 'Transfer' }),
    args: { to: TO },
    blockHash: receipt.blockHash,
  });
  const again = byHash.find((l) => l.transactionHash === hash);
  assert.ok(again, 'the log by blockHash');
  assert.equal(again.logIndex, ev.logIndex);
  assert.deepEqual(again.args, ev.args);

  // And the block's receipts, in order, hold the same receipt.
  const receipts = await client.request({ method: 'eth_getBlockReceipts', params: [receipt.blockHash] });
  const raw = receipts.find((r) => r.transactionHash === hash);
  assert.ok(raw, 'eth_getBlockReceipts holds the receipt');
  assert.equal(BigInt(raw.transactionIndex), BigInt(receipt.transactionIndex));
});

// 4. A watcher over a polled filter sees the next transfer arrive.
const amount2 = 2_000_002n;
const second = await check(
  '4 watchContractEvent (poll) sees a new transfer',
  async () => {
    const seen = [];
    let failure;
    const { value: unwatch, methods: setup } = await methodsDuring(async () => {
      const unwatch = client.watchContractEvent({
        address,
        abi,
        eventName: 'Transfer',
        args: { from: me },
        poll: true,
        pollingInterval: 100,
        onLogs: (logs) => seen.push(...logs),
        onError: (err) => (failure = err),
      });
      // Let the first poll install the filter before sending.
      await eventually(() => (sent.includes('eth_newFilter') ? true : undefined), 5_000, 'eth_newFilter sent');
      return unwatch;
    });
    try {
      assert.ok(setup.includes('eth_newFilter'), `the watcher installs a filter (sent: ${setup})`);
      const hash = await transfer(amount2);
      const log = await eventually(
        () => {
          if (failure) throw failure;
          return seen.find((l) => l.transactionHash === hash);
        },
        10_000,
        `the Transfer of ${hash} delivered by watchContractEvent`,
      );
      assert.deepEqual(log.args, { token: USDC, from: me, to: TO, amount: amount2 });
      assert.ok(sent.includes('eth_getFilterChanges'), 'delivered through eth_getFilterChanges');
      // Two more polls: the same log is not delivered twice.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(seen.filter((l) => l.transactionHash === hash).length, 1, 'delivered once');
      if (failure) throw failure;
      return { hash, log };
    } finally {
      unwatch();
    }
  },
  20_000,
);

// 5. Two confirmations: an idle chain seals empty blocks, so the head moves on.
await check('5 waitForTransactionReceipt({ confirmations: 2 })', async () => {
  const { hash, log } = needs(second, 'the transfer of check 4');
  const receipt = await client.waitForTransactionReceipt({ hash, confirmations: 2, timeout: 15_000 });
  assert.equal(receipt.status, 'success');
  assert.equal(receipt.blockHash, log.blockHash);
  assert.equal(receipt.transactionIndex, log.transactionIndex);
  const head = await client.getBlockNumber({ cacheTime: 0 });
  assert.ok(head >= receipt.blockNumber + 1n, `head ${head} is at least one block past ${receipt.blockNumber}`);
});

// 6. EIP-7966: the node answers the send with the receipt.
await check('6a writeContractSync (eth_sendRawTransactionSync)', async () => {
  const amount3 = 3_000_003n;
  const { value: receipt, methods } = await methodsDuring(() =>
    wallet.writeContractSync({ address, abi, functionName: 'transfer', args: [USDC, TO, amount3], timeout: 10_000 }),
  );
  assert.ok(methods.includes('eth_sendRawTransactionSync'), `sent with eth_sendRawTransactionSync (sent: ${methods})`);
  assert.ok(!methods.includes('eth_getTransactionReceipt'), 'no receipt polling after a sync send');
  assert.equal(receipt.status, 'success');
  const [decoded] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'Transfer' });
  assert.deepEqual(decoded.args, { token: USDC, from: me, to: TO, amount: amount3 });
  const stored = await client.getTransactionReceipt({ hash: receipt.transactionHash });
  assert.equal(stored.blockHash, receipt.blockHash);
  assert.equal(stored.transactionIndex, receipt.transactionIndex);
  assert.deepEqual(stored.logs, receipt.logs);
});

await check('6b sendRawTransactionSync of a signed transfer', async () => {
  const amount4 = 4_000_004n;
  const { value: receipt, methods } = await methodsDuring(async () => {
    const request = await wallet.prepareTransactionRequest({
      to: address,
      data: encodeFunctionData({ abi, functionName: 'transfer', args: [USDC, TO, amount4] }),
    });
    const serializedTransaction = await wallet.signTransaction(request);
    const receipt = await client.sendRawTransactionSync({ serializedTransaction, timeout: 10_000 });
    assert.equal(receipt.transactionHash, keccak256(serializedTransaction));
    return receipt;
  });
  assert.ok(methods.includes('eth_sendRawTransactionSync'));
  assert.equal(receipt.status, 'success');
  const [decoded] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'Transfer' });
  assert.equal(decoded.args.amount, amount4);
});

// Past its timeout the node answers error 4 with the hash as data (EIP-7966), which
// viem's sendTransactionSync reads to go on polling for the receipt.
await check('6c sendRawTransactionSync past its timeout: error 4 with the hash', async () => {
  const request = await wallet.prepareTransactionRequest({
    to: address,
    data: encodeFunctionData({ abi, functionName: 'transfer', args: [USDC, TO, 5_000_005n] }),
  });
  const serializedTransaction = await wallet.signTransaction(request);
  const hash = keccak256(serializedTransaction);
  const err = await client.sendRawTransactionSync({ serializedTransaction, timeout: 1 }).then(
    (receipt) => assert.fail(`included within 1 ms? ${receipt.transactionHash}`),
    (e) => e,
  );
  const timedOut = err instanceof BaseError ? err.walk((e) => e?.code === 4) : null;
  assert.ok(timedOut, `an error with code 4 in the cause chain, got ${err.name}: ${err.shortMessage}`);
  assert.equal(timedOut.data, hash, 'the hash as data');
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 10_000 });
  assert.equal(receipt.status, 'success');
});

// 7. Reverts come back as the contract's decoded custom errors.
const revertOf = (err) => {
  assert.ok(err instanceof BaseError, `a viem error, got ${err}`);
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
  assert.ok(revert, `a ContractFunctionRevertedError in the cause chain of ${err.name}: ${err.shortMessage}`);
  return revert;
};
await check('7a simulateContract swap with an impossible minAmountOut: InsufficientOutput', async () => {
  const amountIn = 10n ** 15n;
  const minOut = 10n ** 30n;
  const quoted = await client.readContract({ address, abi, functionName: 'getAmountOut', args: [WETH, USDC, amountIn] });
  const args = [WETH, USDC, amountIn, minOut];
  for (const [what, run] of [
    ['simulateContract', () => client.simulateContract({ account, address, abi, functionName: 'swap', args })],
    ['estimateContractGas', () => client.estimateContractGas({ account, address, abi, functionName: 'swap', args })],
  ]) {
    const err = await run().then(
      (ok) => assert.fail(`${what} of an impossible swap succeeded: ${ok}`),
      (e) => e,
    );
    const revert = revertOf(err);
    assert.equal(revert.data?.errorName, 'InsufficientOutput', `${what}: errorName`);
    assert.deepEqual(revert.data.args, [quoted, minOut], `${what}: args`);
    assert.match(revert.raw ?? '', /^0x[0-9a-f]{8}/, `${what}: raw revert data`);
  }
});

await check('7b transfer of more than the balance: InsufficientBalance', async () => {
  const balance = await balanceOf(me);
  const err = await client
    .simulateContract({ account, address, abi, functionName: 'transfer', args: [USDC, TO, balance + 1n] })
    .then(
      () => assert.fail('an overdraft simulated fine'),
      (e) => e,
    );
  const revert = revertOf(err);
  assert.equal(revert.data?.errorName, 'InsufficientBalance');
  assert.deepEqual(revert.data.args, [USDC, me, balance, balance + 1n]);
});

// A swap that reverts, sent anyway (a gas limit given, so no estimate): included, reverted.
await check('7c a reverting swap sent with a gas limit: receipt status reverted', async () => {
  const hash = await wallet.writeContract({
    address,
    abi,
    functionName: 'swap',
    args: [WETH, USDC, 10n ** 15n, 10n ** 30n],
    gas: 300_000n,
  });
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 10_000 });
  assert.equal(receipt.status, 'reverted');
  assert.equal(receipt.logs.length, 0, 'a reverted transaction has no logs');
});

// 8. "nonce too low" becomes viem's NonceTooLowError.
await check('8 a used nonce: NonceTooLowError', async () => {
  const err = await transfer(1n, { nonce: 0 }).then(
    (hash) => assert.fail(`a transaction with nonce 0 was accepted: ${hash}`),
    (e) => e,
  );
  assert.ok(err instanceof BaseError, `a viem error, got ${err}`);
  const typed = err.walk((e) => e instanceof NonceTooLowError);
  assert.ok(typed, `NonceTooLowError in the cause chain, got ${err.name}: ${err.shortMessage}`);
  const rpc = err.walk((e) => e?.code === -32000);
  assert.ok(rpc, 'the JSON-RPC error -32000 in the cause chain');
  assert.match(rpc.details, /^nonce too low/, 'geth wording');
});

// 9. Tokens are ERC-20 contracts backed by the ledger.
const SPENDER_KEY = DEV_KEYS[7];
await check('9a erc20Abi reads: symbol, decimals, balanceOf equal to the ledger', async () => {
  assert.equal(await client.readContract({ address: USDC, abi: erc20Abi, functionName: 'symbol' }), 'USDC');
  assert.equal(await client.readContract({ address: USDC, abi: erc20Abi, functionName: 'decimals' }), 6);
  const viaToken = await client.readContract({ address: USDC, abi: erc20Abi, functionName: 'balanceOf', args: [me] });
  assert.equal(viaToken, await balanceOf(me));
  assert.ok((await client.getCode({ address: USDC }))?.length > 100, 'code at the token');
});

await check('9b multicall (Multicall3) of ERC-20 balances', async () => {
  const chainWithMulticall = { ...chain, contracts: { multicall3: { address: '0xcA11bde05977b3631167028862bE2a173976CA11' } } };
  const reader = createPublicClient({ chain: chainWithMulticall, transport, pollingInterval: 100 });
  const before = sent.length;
  const results = await reader.multicall({
    contracts: [WETH, USDC].map((token) => ({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [me] })),
    allowFailure: false,
  });
  assert.deepEqual(sent.slice(before), ['eth_call'], 'one eth_call for both reads');
  assert.equal(results[1], await balanceOf(me));
});

await check('9c ERC-20 transfer, approve, transferFrom: balances, allowance, events at the token', async () => {
  const spender = privateKeyToAccount(SPENDER_KEY);
  const spenderWallet = createWalletClient({ chain, transport, account: spender, pollingInterval: 100 });
  const erc20 = { address: USDC, abi: erc20Abi };
  const toBefore = await balanceOf(TO);
  const sent1 = await wallet.writeContract({ ...erc20, functionName: 'transfer', args: [TO, 5n] });
  const r1 = await client.waitForTransactionReceipt({ hash: sent1, timeout: 10_000 });
  assert.equal(r1.status, 'success');
  assert.equal(getAddress(r1.to), getAddress(USDC));
  const [ev] = parseEventLogs({ abi: erc20Abi, logs: r1.logs, eventName: 'Transfer' });
  assert.equal(getAddress(ev.address), getAddress(USDC));
  assert.deepEqual(ev.args, { from: me, to: TO, value: 5n });
  const approved = await wallet.writeContract({ ...erc20, functionName: 'approve', args: [spender.address, 7n] });
  assert.equal((await client.waitForTransactionReceipt({ hash: approved, timeout: 10_000 })).status, 'success');
  const allowance = () => client.readContract({ ...erc20, functionName: 'allowance', args: [me, spender.address] });
  assert.equal(await allowance(), 7n);
  const pulled = await spenderWallet.writeContract({ ...erc20, functionName: 'transferFrom', args: [me, TO, 4n] });
  assert.equal((await client.waitForTransactionReceipt({ hash: pulled, timeout: 10_000 })).status, 'success');
  assert.equal(await allowance(), 3n);
  assert.equal(await balanceOf(TO), toBefore + 9n);
  const events = await client.getContractEvents({ ...erc20, eventName: 'Transfer', args: { to: TO }, fromBlock: r1.blockNumber });
  assert.ok(events.filter((e) => e.args.to === TO).length >= 2, 'both ERC-20 Transfers by getLogs at the token');
  // Over the allowance: the ledger's custom error, decoded with the system contract's ABI.
  const err = await client
    .simulateContract({ account: spender, ...erc20, functionName: 'transferFrom', args: [me, TO, 4n] })
    .then(
      () => assert.fail('an overdrawn allowance simulated fine'),
      (e) => e,
    );
  assert.match(err.shortMessage ?? String(err), /revert/i);
});

await check('9d approve the system contract, then swap (the dapp flow)', async () => {
  const erc20 = { address: WETH, abi: erc20Abi };
  const hash = await wallet.writeContract({ ...erc20, functionName: 'approve', args: [address, 10n ** 16n] });
  assert.equal((await client.waitForTransactionReceipt({ hash, timeout: 10_000 })).status, 'success');
  const wethBefore = await client.readContract({ ...erc20, functionName: 'balanceOf', args: [me] });
  const swap = await wallet.writeContract({ address, abi, functionName: 'swap', args: [WETH, USDC, 10n ** 16n, 1n] });
  const receipt = await client.waitForTransactionReceipt({ hash: swap, timeout: 10_000 });
  assert.equal(receipt.status, 'success');
  assert.equal(await client.readContract({ ...erc20, functionName: 'balanceOf', args: [me] }), wethBefore - 10n ** 16n);
  // The swap is each token's own ERC-20 Transfer, against the pool's (liquidity token's) address.
  const [, , , pool] = await client.readContract({ address, abi, functionName: 'getPool', args: [WETH, USDC] });
  const moves = parseEventLogs({ abi: erc20Abi, logs: receipt.logs, eventName: 'Transfer' });
  assert.deepEqual(
    moves.map((m) => [getAddress(m.address), m.args.from, m.args.to]),
    [[getAddress(WETH), me, pool], [getAddress(USDC), pool, me]],
  );
  assert.equal(moves[0].args.value, 10n ** 16n);
});

await check('10 WebSocket transport: watchBlockNumber and watchContractEvent over eth_subscribe', async () => {
  const ws = createPublicClient({ chain, transport: webSocket(RPC_URL.replace(/^http/, 'ws'), { timeout: 10_000 }) });
  const heads = [];
  const events = [];
  const errors = [];
  const onError = (e) => errors.push(e);
  const unwatchHeads = ws.watchBlockNumber({ poll: false, onBlockNumber: (n) => heads.push(n), onError });
  const unwatchEvents = ws.watchContractEvent({
    address,
    abi,
    eventName: 'Transfer',
    args: { to: TO },
    poll: false,
    onLogs: (logs) => events.push(...logs),
    onError,
  });
  try {
    // The subscriptions are in place once a head has arrived through them.
    await eventually(() => heads.length > 0 || undefined, 10_000, 'a new head over the socket');
    const hash = await transfer(3n);
    const receipt = await client.waitForTransactionReceipt({ hash, timeout: 10_000 });
    await eventually(() => events.some((l) => l.transactionHash === hash) || undefined, 10_000, 'the Transfer over the socket');
    const log = events.find((l) => l.transactionHash === hash);
    assert.equal(log.args.amount, 3n);
    assert.equal(log.blockHash, receipt.blockHash);
    await eventually(() => heads.some((n) => n >= receipt.blockNumber) || undefined, 10_000, 'its block as a head');
    assert.deepEqual(heads, [...heads].sort((a, b) => (a < b ? -1 : 1)), 'heads in order');
    assert.deepEqual(errors, []);
    // Reads go over the same socket.
    assert.equal(await ws.getChainId(), CHAIN_ID);
  } finally {
    unwatchHeads();
    unwatchEvents();
    (await ws.transport.getRpcClient()).close();
  }
});

await check('11 reads at an earlier block, and getProof against its stateRoot', async () => {
  const before = await balanceOf(TO);
  const hash = await transfer(11n);
  const { blockNumber } = await client.waitForTransactionReceipt({ hash, timeout: 10_000 });
  const at = (n) => client.readContract({ address, abi, functionName: 'balanceOf', args: [USDC, TO], blockNumber: n });
  assert.equal(await at(blockNumber - 1n), before, 'eth_call at the block before');
  assert.equal(await at(blockNumber), before + 11n);
  const nonceBefore = await client.getTransactionCount({ address: me, blockNumber: blockNumber - 1n });
  assert.equal(await client.getTransactionCount({ address: me, blockNumber }), nonceBefore + 1);
  // The balance slot (docs/state-commitment.md §4) and the nonce leaf, proven at that block.
  const key = keccak256(encodeAbiParameters(parseAbiParameters('uint256, address, address'), [2n, USDC, TO]));
  const { stateRoot } = await client.getBlock({ blockNumber });
  const proof = await client.getProof({ address, storageKeys: [key], blockNumber });
  assert.equal(proof.storageHash, stateRoot, "the system contract's storage is the state tree");
  assert.equal(proof.storageProof[0].value, before + 11n);
  assert.equal(verifyStateProof(keccak256, stateRoot, key, proof.storageProof[0].proof), before + 11n);
  const earlier = await client.getProof({ address, storageKeys: [key], blockNumber: blockNumber - 1n });
  const { stateRoot: rootBefore } = await client.getBlock({ blockNumber: blockNumber - 1n });
  assert.equal(verifyStateProof(keccak256, rootBefore, key, earlier.storageProof[0].proof), before);
  const account = await client.getProof({ address: me, storageKeys: [], blockNumber });
  const nonceKey = keccak256(encodeAbiParameters(parseAbiParameters('uint256, address'), [0n, me]));
  assert.equal(verifyStateProof(keccak256, stateRoot, nonceKey, account.accountProof), BigInt(account.nonce));
  assert.equal(account.nonce, nonceBefore + 1);
});

await check('12 a sped-up transaction: waitForTransactionReceipt reports its replacement', async () => {
  const nonce = await client.getTransactionCount({ address: me, blockTag: 'pending' });
  const fees = (gwei) => ({ gas: 200_000n, maxFeePerGas: gwei * 10n ** 9n, maxPriorityFeePerGas: gwei * 10n ** 9n });
  // Behind a nonce gap of one, so that both stay pending until the gap is filled.
  const slow = await transfer(12n, { nonce: nonce + 1, ...fees(1n) });
  const from = sent.length;
  let replaced;
  const waiting = client.waitForTransactionReceipt({
    hash: slow,
    timeout: 20_000,
    onReplaced: (r) => {
      replaced = r;
    },
  });
  // viem learns the sender and nonce of what it waits for while it is pending.
  await eventually(() => sent.slice(from).includes('eth_getTransactionByHash') || undefined, 5_000, 'viem reading it');
  const fast = await transfer(13n, { nonce: nonce + 1, ...fees(2n) });
  await transfer(1n, { nonce });
  const receipt = await waiting;
  assert.equal(receipt.transactionHash, fast, 'the replacement\'s receipt');
  assert.equal(replaced?.reason, 'replaced');
  assert.equal(replaced.transaction.hash, fast);
  assert.equal(await client.getTransaction({ hash: slow }).catch((e) => e.name), 'TransactionNotFoundError');
});

// 13. Ether is the chain's currency: the ledger's balance of the bridged-ETH token, moved by a
// plain "send ETH" (empty calldata). Every transaction pays its fee in ether (docs/fees.md §2):
// gasUsed × effectiveGasPrice, taken from its sender before it runs and credited to the fee
// vault (§6), so the sender pays the value plus exactly that fee.
const ETH_TOKEN = getAddress('0x7e5dBF11c9EF14E152A19D5f8ea75a329092d5a6');
const FEE_VAULT = getAddress('0x4200000000000000000000000000000000000011');
const MIN_BASE_FEE = 1_000_000n;
const ethOf = (owner) => client.readContract({ address: ETH_TOKEN, abi: erc20Abi, functionName: 'balanceOf', args: [owner] });

await check('13a getBalance of a dev account equals the ERC-20 balanceOf at 0x7e5d…', async () => {
  const balance = await client.getBalance({ address: me });
  assert.ok(balance > 0n, `a dev account holds ether (got ${balance})`);
  assert.equal(balance, await ethOf(me), 'eth_getBalance and the token\'s balanceOf agree');
  const nobody = privateKeyToAccount(generatePrivateKey()).address;
  assert.equal(await client.getBalance({ address: nobody }), 0n, 'a fresh address holds nothing');
});

await check('13b sendTransaction({ to, value }): a wallet\'s "send ETH", gas and fees estimated by viem', async () => {
  const fresh = privateKeyToAccount(generatePrivateKey()).address;
  const value = parseEther('0.5');
  const before = await client.getBalance({ address: me });
  const { value: hash, methods } = await methodsDuring(() => wallet.sendTransaction({ to: fresh, value }));
  // viem fills a transaction with eth_fillTransaction when the node serves it (the node's
  // eth_estimateGas sets its gas, docs/api.md §3.1), else with eth_estimateGas itself.
  assert.ok(
    methods.includes('eth_fillTransaction') || methods.includes('eth_estimateGas'),
    `the node filled or estimated the gas (sent: ${methods})`,
  );
  assert.ok(methods.includes('eth_sendRawTransaction'), `sent as a raw transaction (sent: ${methods})`);
  const receipt = await client.waitForTransactionReceipt({ hash, timeout: 10_000 });
  assert.equal(receipt.status, 'success');
  assert.equal(getAddress(receipt.from), me);
  assert.equal(getAddress(receipt.to), fresh);

  // The fee: viem chose EIP-1559 by itself, its gas limit is the estimate (the scheduled gas of
  // a transfer of ether), and the price paid is the 1559 rule over the block's base fee.
  const n = receipt.blockNumber;
  const tx = await client.getTransaction({ hash });
  assert.equal(tx.type, 'eip1559', 'viem sent an EIP-1559 (type 2) transaction');
  assert.equal(tx.gas, 21_000n, 'the gas limit is eth_estimateGas\'s answer: 21,000');
  assert.equal(receipt.type, 'eip1559', 'the receipt\'s type');
  assert.equal(receipt.gasUsed, 21_000n, 'a transfer of ether uses its scheduled 21,000 gas');
  const { baseFeePerGas } = await client.getBlock({ blockNumber: n });
  assert.ok(baseFeePerGas >= MIN_BASE_FEE, `the block's base fee ${baseFeePerGas} is at least ${MIN_BASE_FEE} wei`);
  const tipped = baseFeePerGas + tx.maxPriorityFeePerGas;
  const price = tx.maxFeePerGas < tipped ? tx.maxFeePerGas : tipped;
  assert.ok(receipt.effectiveGasPrice > 0n, `effectiveGasPrice ${receipt.effectiveGasPrice} > 0`);
  assert.equal(
    receipt.effectiveGasPrice,
    price,
    `effectiveGasPrice = min(maxFeePerGas ${tx.maxFeePerGas}, baseFeePerGas ${baseFeePerGas} + maxPriorityFeePerGas ${tx.maxPriorityFeePerGas})`,
  );
  const fee = receipt.gasUsed * receipt.effectiveGasPrice;

  // Exact balances: at the receipt's block against the block before, and now against before.
  const at = (address, blockNumber) => client.getBalance({ address, blockNumber });
  assert.equal(await at(fresh, n), value, 'the recipient holds 0.5 ETH at the receipt\'s block');
  assert.equal(await at(fresh, n - 1n), 0n, 'nothing at the block before');
  assert.equal(
    (await at(me, n - 1n)) - (await at(me, n)),
    value + fee,
    `the sender paid exactly 0.5 ETH + gasUsed × effectiveGasPrice (${fee} wei) in the block`,
  );
  assert.equal(await client.getBalance({ address: fresh }), value, 'the recipient holds 0.5 ETH');
  assert.equal(await client.getBalance({ address: me }), before - value - fee, 'the sender paid exactly 0.5 ETH + the fee');
  assert.equal(await ethOf(fresh), value, 'the token\'s balanceOf shows the same');

  // The fee vault is credited in the same block: at least this fee (the block's other
  // transactions pay too), and exactly the fees of all the block's receipts.
  const vaultGain = (await at(FEE_VAULT, n)) - (await at(FEE_VAULT, n - 1n));
  assert.ok(vaultGain >= fee, `the fee vault gained ${vaultGain} wei in block ${n}, at least the fee ${fee}`);
  const receipts = await client.request({ method: 'eth_getBlockReceipts', params: [receipt.blockHash] });
  const blockFees = receipts.reduce((sum, r) => sum + BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice), 0n);
  assert.equal(vaultGain, blockFees, `the fee vault gained the fees of the block's ${receipts.length} receipts`);
  // The credit is visible (docs/fees.md §8): the block's last transaction is the vault's, of
  // type 0x7e, whose receipt logs the fees as ether minted to the vault (ledger and ERC-20).
  const credit = receipts[receipts.length - 1];
  assert.equal(credit.type, '0x7e', 'the block closes with a type-0x7e credit');
  assert.equal(getAddress(credit.from), FEE_VAULT);
  assert.equal(getAddress(credit.to), FEE_VAULT);
  assert.equal(BigInt(credit.effectiveGasPrice), 0n, 'the credit pays no fee');
  const creditLogs = parseEventLogs({ abi: erc20Abi, logs: credit.logs.map(formatLog), eventName: 'Transfer' });
  assert.deepEqual(
    creditLogs.map((l) => [getAddress(l.address), l.args]),
    [[ETH_TOKEN, { from: zeroAddress, to: FEE_VAULT, value: vaultGain }]],
    'one ERC-20 Transfer of the fees from the zero address to the vault',
  );
  const creditTx = await opClient.getTransaction({ hash: credit.transactionHash });
  assert.equal(creditTx.type, 'deposit', "viem's OP Stack formatter reads it as a deposit transaction");
  assert.equal(creditTx.mint, 0n, 'no ether is created: the senders paid it');
  // The ledger's Transfer at the system contract, then the ERC-20 Transfer at the token.
  const [ledger, ...moreLedger] = parseEventLogs({ abi, logs: receipt.logs, eventName: 'Transfer' }).filter(
    (l) => getAddress(l.address) === getAddress(address),
  );
  assert.equal(moreLedger.length, 0, 'one ledger Transfer');
  assert.deepEqual(ledger?.args, { token: ETH_TOKEN, from: me, to: fresh, amount: value });
  const [erc20, ...moreErc20] = parseEventLogs({ abi: erc20Abi, logs: receipt.logs, eventName: 'Transfer' });
  assert.equal(moreErc20.length, 0, 'one ERC-20 Transfer');
  assert.equal(getAddress(erc20.address), ETH_TOKEN);
  assert.deepEqual(erc20.args, { from: me, to: fresh, value });
});

// More ether than the balance. The sequencer refuses it at the door with geth's words, which
// viem maps to InsufficientFundsError: first with a gas limit given (no estimate, the refusal
// comes from eth_sendRawTransaction), then as a wallet sends it, estimating the gas first.
const overdraft = async (extra) => {
  const fresh = privateKeyToAccount(generatePrivateKey()).address;
  const balance = await client.getBalance({ address: me });
  const nonce = await client.getTransactionCount({ address: me, blockTag: 'pending' });
  const { value: err, methods } = await methodsDuring(() =>
    wallet.sendTransaction({ to: fresh, value: balance + 1n, ...extra }).then(
      (hash) => assert.fail(`a send of more than the balance was accepted: ${hash}`),
      (e) => e,
    ),
  );
  assert.ok(err instanceof BaseError, `a viem error, got ${err}`);
  const typed = err.walk((e) => e instanceof InsufficientFundsError);
  assert.ok(typed, `InsufficientFundsError in the cause chain, got ${err.name}: ${err.shortMessage} (sent: ${methods})`);
  const rpc = err.walk((e) => e?.code === -32000);
  assert.ok(rpc, `the JSON-RPC error -32000 in the cause chain of ${err.name}: ${err.shortMessage}`);
  assert.match(rpc.details, /^insufficient funds for gas \* price \+ value: address 0x[0-9a-fA-F]{40} have \d+ want \d+/, 'geth wording');
  assert.equal(await client.getBalance({ address: me }), balance, 'nothing moved');
  assert.equal(await client.getTransactionCount({ address: me, blockTag: 'pending' }), nonce, 'no nonce used');
  return methods;
};

await check('13c more ether than the balance, gas given: the door\'s InsufficientFundsError', async () => {
  const gas = await client.estimateGas({ account, to: privateKeyToAccount(generatePrivateKey()).address, value: 1n });
  const methods = await overdraft({ gas });
  assert.ok(!methods.includes('eth_estimateGas'), `no estimate (sent: ${methods})`);
  assert.ok(methods.includes('eth_sendRawTransaction'), `refused by eth_sendRawTransaction (sent: ${methods})`);
});

await check('13d more ether than the balance, as a wallet sends it (gas estimated): InsufficientFundsError', async () => {
  await overdraft({});
});

// A fee cap below the base fee (1 wei) is refused at the door, not held, in geth's words, which
// viem maps to FeeCapTooLowError. The gas limit is given, so the refusal comes from
// eth_sendRawTransaction.
await check('13e maxFeePerGas of 1 wei, below the base fee: the door\'s FeeCapTooLowError (fee_cap_too_low)', async () => {
  const balance = await client.getBalance({ address: me });
  const nonce = await client.getTransactionCount({ address: me, blockTag: 'pending' });
  const fresh = privateKeyToAccount(generatePrivateKey()).address;
  const { value: err, methods } = await methodsDuring(() =>
    wallet.sendTransaction({ to: fresh, value: 1n, gas: 21_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 0n }).then(
      (hash) => assert.fail(`a fee cap of 1 wei was accepted: ${hash}`),
      (e) => e,
    ),
  );
  assert.ok(!methods.includes('eth_estimateGas'), `no estimate (sent: ${methods})`);
  assert.ok(methods.includes('eth_sendRawTransaction'), `refused by eth_sendRawTransaction (sent: ${methods})`);
  assert.ok(err instanceof BaseError, `a viem error, got ${err}`);
  const typed = err.walk((e) => e instanceof FeeCapTooLowError);
  assert.ok(typed, `FeeCapTooLowError in the cause chain, got ${err.name}: ${err.shortMessage}`);
  const rpc = err.walk((e) => e?.code === -32000 && e?.data !== undefined);
  assert.ok(rpc, `the JSON-RPC error -32000 with data in the cause chain of ${err.name}: ${err.shortMessage}`);
  assert.equal(rpc.data, 'fee_cap_too_low', 'the stable code in the error\'s data');
  assert.match(
    rpc.details,
    new RegExp(`^max fee per gas less than block base fee: address ${me}, maxFeePerGas: 1, baseFee: \\d+$`, 'i'),
    'geth wording',
  );
  assert.equal(await client.getBalance({ address: me }), balance, 'nothing moved');
  assert.equal(await client.getTransactionCount({ address: me, blockTag: 'pending' }), nonce, 'no nonce used');
});

// 14. A deposit: ether sent to the L1 bridge's depositETH is credited on L2, two L1 blocks
// later, as the recipient's ether balance (docs/bridge.md §2 and §3.2), all through viem.
const BRIDGE_ABI = parseAbi([
  'function depositETH(address to) payable returns (uint256 index)',
  'event DepositQueued(uint256 indexed index, address indexed from, address indexed to, address l1Token, address l2Token, uint256 amount, uint256 meta, uint64 l1Block)',
]);
// Ether's metadata word: "ETH" left-aligned, 18 decimals in the lowest byte.
const ETHER_META = (0x455448n << 232n) | 18n;
// An L1 key of this script's own (the devnet sends on L1 with keys 0 to 2).
const L1_KEY = DEV_KEYS[3];

await check(
  '14 depositETH on L1 to a fresh address: getBalance on L2 becomes exactly the deposit, as balanceOf at 0x7e5d…',
  async () => {
    const l1Transport = http(L1_RPC_URL, { timeout: 10_000, retryCount: 0 });
    const l1ChainId = await createPublicClient({ transport: l1Transport }).getChainId();
    const l1Chain = defineChain({
      id: l1ChainId,
      name: 'Devnet L1 (anvil)',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [L1_RPC_URL] } },
    });
    const l1 = createPublicClient({ chain: l1Chain, transport: l1Transport, pollingInterval: 100 });
    const depositor = privateKeyToAccount(L1_KEY);
    const l1Wallet = createWalletClient({ chain: l1Chain, transport: l1Transport, account: depositor, pollingInterval: 100 });
    const bridge = { address: getAddress(BRIDGE), abi: BRIDGE_ABI };
    const fresh = privateKeyToAccount(generatePrivateKey()).address;
    const value = parseEther('0.3');
    assert.equal(await client.getBalance({ address: fresh }), 0n, 'a fresh address holds nothing on L2');

    const { request, result: simulated } = await l1.simulateContract({
      ...bridge,
      account: depositor,
      functionName: 'depositETH',
      args: [fresh],
      value,
    });
    const hash = await l1Wallet.writeContract(request);
    const receipt = await l1.waitForTransactionReceipt({ hash, timeout: 15_000 });
    assert.equal(receipt.status, 'success', 'depositETH succeeded on L1');
    const [queued, ...more] = parseEventLogs({ abi: BRIDGE_ABI, logs: receipt.logs, eventName: 'DepositQueued' });
    assert.equal(more.length, 0, 'one DepositQueued');
    // A batcher's post may queue a reading of the L1's fees between the simulation and the
    // deposit: the entry's index is the simulation's or later.
    const { index, ...entry } = queued?.args ?? {};
    assert.ok(index >= simulated, `the entry's index ${index}, the simulation's ${simulated}`);
    assert.deepEqual(entry, {
      from: depositor.address,
      to: fresh,
      l1Token: zeroAddress,
      l2Token: ETH_TOKEN,
      amount: value,
      meta: ETHER_META,
      l1Block: receipt.blockNumber,
    });
    const lockedAt = (blockNumber) => l1.getBalance({ address: bridge.address, blockNumber });
    assert.equal(
      (await lockedAt(receipt.blockNumber)) - (await lockedAt(receipt.blockNumber - 1n)),
      value,
      'the bridge locked the ether on L1',
    );

    // Credited at the start of an L2 block once the sequencer has read the entry (2 L1 blocks
    // deep): the first non-zero balance must be the whole deposit.
    const credited = await eventually(
      async () => {
        const balance = await client.getBalance({ address: fresh });
        return balance === 0n ? undefined : balance;
      },
      25_000,
      `queue entry ${index} (${value} wei to ${fresh}, L1 block ${receipt.blockNumber}) credited on L2`,
      200,
    );
    assert.equal(credited, value, 'getBalance is exactly the deposit');
    assert.equal(await ethOf(fresh), value, "the token's balanceOf agrees");
    assert.equal(await client.getBalance({ address: fresh }), value, 'and stays so');

    // The credit is a transaction of its L2 block (docs/fees.md §8), found as an indexer finds
    // it: the ether token's Transfer from the zero address, by eth_getLogs.
    const minted = await client.getLogs({
      address: ETH_TOKEN,
      event: getAbiItem({ abi: erc20Abi, name: 'Transfer' }),
      args: { from: zeroAddress, to: fresh },
      fromBlock: 0n,
    });
    assert.equal(minted.length, 1, 'one mint to the fresh address');
    const [mint] = minted;
    assert.equal(mint.args.value, value, 'of the deposit');
    // Through viem's OP Stack formatters: a deposit transaction with its fields.
    const tx = await opClient.getTransaction({ hash: mint.transactionHash });
    assert.equal(tx.type, 'deposit');
    assert.equal(tx.typeHex, '0x7e');
    assert.equal(getAddress(tx.from), depositor.address, 'from the L1 depositor');
    assert.equal(getAddress(tx.to), fresh, 'to the recipient');
    assert.equal(tx.mint, value, 'minting the deposit');
    assert.equal(tx.value, value);
    assert.match(tx.sourceHash, /^0x[0-9a-f]{64}$/);
    assert.equal(tx.blockNumber, mint.blockNumber);
    // Through the default formatters too: nothing throws on the type.
    assert.equal((await client.getTransaction({ hash: mint.transactionHash })).typeHex, '0x7e');
    const depositReceipt = await opClient.getTransactionReceipt({ hash: mint.transactionHash });
    assert.equal(depositReceipt.status, 'success');
    assert.equal(depositReceipt.gasUsed, 0n, 'paid on L1: no L2 gas');
    assert.equal(depositReceipt.effectiveGasPrice, 0n);
    assert.ok(
      depositReceipt.logs.some((l) => l.logIndex === mint.logIndex && l.transactionHash === mint.transactionHash),
      'the receipt holds the mint eth_getLogs found',
    );
    // In its block, before the block's signed transactions, and in eth_getBlockReceipts.
    const block = await opClient.getBlock({ blockNumber: mint.blockNumber, includeTransactions: true });
    assert.equal(block.transactions[mint.transactionIndex].hash, mint.transactionHash);
    assert.ok(
      block.transactions.slice(0, mint.transactionIndex).every((t) => t.type === 'deposit'),
      "the queue's credits open the block",
    );
    const hashes = await client.getBlock({ blockNumber: mint.blockNumber });
    assert.equal(hashes.transactions[mint.transactionIndex], mint.transactionHash);
    const blockReceipts = await client.request({ method: 'eth_getBlockReceipts', params: [toHex(mint.blockNumber)] });
    assert.equal(blockReceipts[mint.transactionIndex].transactionHash, mint.transactionHash);
    assert.equal(blockReceipts[mint.transactionIndex].type, '0x7e');
  },
  45_000,
);

finish('viem');
