// What the Node client tests share: the devnet's coordinates (from run.sh's environment),
// named checks with timeouts that are reported one by one, and a watchdog so that no test
// hangs. A failed check is printed loudly and the script goes on with the next one; the
// exit status is non-zero if any check failed.

import assert from 'node:assert/strict';

export const RPC_URL = need('ROLLUP_RPC_URL');
export const REST_URL = need('ROLLUP_REST_URL').replace(/\/$/, '');
export const CHAIN_ID = Number(need('ROLLUP_CHAIN_ID'));
// The devnet's L1 (its own anvil) and the L1 bridge on it, for the deposit checks: run.sh
// reads them from the devnet's banner and deployment record.
export const L1_RPC_URL = need('ROLLUP_L1_RPC_URL');
export const BRIDGE = needAddress('ROLLUP_BRIDGE');

// The ten standard anvil keys are funded on L2 (types/src/genesis.rs), and with 10,000 ETH
// each on the devnet's L1, where the devnet itself sends with keys 0 (deployer), 1 (batcher)
// and 2 (challenger). Each client uses keys of its own so that the scripts never share a
// nonce, on L2 or on L1.
export const DEV_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
  '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e',
  '0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356',
  '0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97',
  '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6',
];

export const SYSTEM_ADDRESS = '0x4200000000000000000000000000000000000010';

function need(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set (run the client tests through clients/run.sh)`);
    process.exit(2);
  }
  return value;
}

function needAddress(name) {
  const value = need(name);
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    console.error(`${name} is not an address: ${value}`);
    process.exit(2);
  }
  return value;
}

/** GET on the devnet's REST API, as JSON. */
export async function rest(path) {
  const res = await fetch(`${REST_URL}${path}`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status}`);
  return res.json();
}

/** The system contract's address and ABI and the listed tokens, from GET /v1/contracts. */
export async function contracts() {
  const body = await rest('/v1/contracts');
  assert.equal(body.chainId, CHAIN_ID, 'GET /v1/contracts: chainId');
  const system = body.contracts.find((c) => c.name === 'L2System');
  assert.ok(system, 'GET /v1/contracts lists L2System');
  assert.equal(system.address.toLowerCase(), SYSTEM_ADDRESS);
  const token = (symbol) => {
    const t = body.tokens.find((x) => x.symbol === symbol);
    assert.ok(t, `GET /v1/contracts lists ${symbol}`);
    return t.address;
  };
  return { address: system.address, abi: system.abi, WETH: token('WETH'), USDC: token('USDC') };
}

/** Rejects after `ms` with a message naming what was awaited. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the first value `poll` returns that is not undefined; fails after `ms`. */
export async function eventually(poll, ms, what, every = 100) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await poll();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

const results = [];
const started = Date.now();

export function startClient(name, budgetMs = 50_000) {
  console.log(`== ${name} against ${RPC_URL} (chain id ${CHAIN_ID})`);
  // The watchdog: a client that hangs fails instead.
  setTimeout(() => {
    console.error(`FAIL ${name}: the whole script passed its ${budgetMs} ms budget`);
    report(name);
    process.exit(1);
  }, budgetMs).unref();
}

/** Runs one named check; a failure is reported and the next checks still run. */
export async function check(name, fn, ms = 15_000) {
  const t0 = Date.now();
  try {
    const value = await withTimeout(Promise.resolve().then(fn), ms, name);
    results.push({ name, ok: true, ms: Date.now() - t0 });
    console.log(`  ok   ${name} (${Date.now() - t0} ms)`);
    return value;
  } catch (err) {
    results.push({ name, ok: false, ms: Date.now() - t0 });
    console.error(`  FAIL ${name} (${Date.now() - t0} ms)\n${indent(describe(err))}`);
    return undefined;
  }
}

function describe(err) {
  if (!(err instanceof Error)) return String(err);
  const text = err.stack ?? String(err);
  return text.split('\n').slice(0, 25).join('\n');
}

function indent(text) {
  return text
    .split('\n')
    .map((l) => `       ${l}`)
    .join('\n');
}

function report(name) {
  const failed = results.filter((r) => !r.ok);
  console.log(
    `== ${name}: ${results.length - failed.length}/${results.length} checks passed in ${Date.now() - started} ms` +
      (failed.length ? `; FAILED: ${failed.map((r) => r.name).join('; ')}` : ''),
  );
  return failed.length;
}

export function finish(name) {
  process.exit(report(name) ? 1 : 0);
}

/**
 * The value an `eth_getProof` proof shows for `key` against `root`, checked as
 * docs/state-commitment.md §5.3 and §5.5 say (sibling hashes from the root down, then the
 * terminal: `0x` or the 64 bytes key ‖ value); throws if it does not verify. `keccak` is the
 * client's own keccak-256, taking and giving 0x-hex.
 */
export function verifyStateProof(keccak, root, key, proof) {
  const bare = (h) => h.toLowerCase().replace(/^0x/, '');
  const items = proof.map(bare);
  const terminal = items.at(-1);
  const siblings = items.slice(0, -1);
  assert.ok(siblings.length <= 256, 'at most 256 siblings');
  const bit = (k, d) => (parseInt(bare(k)[d >> 2], 16) >> (3 - (d & 3))) & 1;
  let h = terminal === '' ? '0'.repeat(64) : bare(keccak(`0x00${terminal}`));
  for (let d = siblings.length - 1; d >= 0; d--) {
    h = bare(keccak(bit(key, d) ? `0x${siblings[d]}${h}` : `0x${h}${siblings[d]}`));
  }
  assert.equal(`0x${h}`, `0x${bare(root)}`, 'the proof leads to the root');
  if (terminal === '') return 0n;
  assert.equal(terminal.length, 128, 'a leaf terminal is key ‖ value');
  const leafKey = terminal.slice(0, 64);
  if (leafKey === bare(key)) return BigInt(`0x${terminal.slice(64)}`);
  for (let d = 0; d < siblings.length; d++) assert.equal(bit(leafKey, d), bit(key, d), 'the leaf shares the path');
  return 0n;
}

/** Fails unless `value` is defined (a check that needs what an earlier, failed one gave). */
export function needs(value, what) {
  if (value === undefined || value === null) throw new Error(`skipped: needs ${what}, which an earlier check did not give`);
  return value;
}
