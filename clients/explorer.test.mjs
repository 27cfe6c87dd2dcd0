// The explorer page the node serves at `/`, driven in headless Chromium (Debian's package,
// through playwright-core) as a user would: the page loads and shows the live chain, a
// transaction sent with viem is found by its hash through the search box, its batch moves to
// verified on L1 without a reload, and the page fits a phone's width. Saves screenshots
// (EXPLORER_SCREENSHOT, default $TMPDIR/rollup-explorer.png, and -phone.png beside it).

import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createPublicClient, createWalletClient, defineChain, encodeFunctionData, http, parseAbi } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { CHAIN_ID, DEV_KEYS, RPC_URL, SYSTEM_ADDRESS, check, contracts, finish, startClient } from './harness.mjs';

startClient('explorer', 85_000);

const chain = defineChain({
  id: CHAIN_ID,
  name: 'rollup devnet',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [RPC_URL] } },
});
// Key 2 sends on L1 as the devnet's challenger; on L2 no other script uses it.
const account = privateKeyToAccount(DEV_KEYS[2]);
const wallet = createWalletClient({ account, chain, transport: http(RPC_URL) });
const client = createPublicClient({ chain, transport: http(RPC_URL) });
const screenshot = process.env.EXPLORER_SCREENSHOT || join(process.env.TMPDIR || tmpdir(), 'rollup-explorer.png');
const page_url = RPC_URL.replace(/\/?$/, '/');

await check('GET / without an upgrade is the explorer page, self-contained', async () => {
  const res = await fetch(page_url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(res.headers.get('content-security-policy'), /connect-src 'self'/);
  const html = await res.text();
  assert.match(html, /Rollup explorer/);
  // Nothing from elsewhere: no script, style or image from another origin.
  assert.doesNotMatch(html, /(src|href)="https?:\/\//);
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const errors = [];
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('pageerror', (e) => errors.push(e.message));
page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

await check('the page shows the live chain: the head moves without a reload', async () => {
  await page.goto(page_url);
  await page.waitForSelector('#chart');
  const head = async () => Number((await page.textContent('#chain')).match(/block #(\d+)/)[1]);
  const first = await head();
  await page.waitForFunction((n) => Number(document.querySelector('#chain').textContent.match(/block #(\d+)/)[1]) > n, first);
  for (const title of ['Latest blocks', 'Batches on L1', 'Pools', 'Fraud proofs']) {
    assert.ok(await page.isVisible(`text=${title}`), title);
  }
}, 20_000);

const hash = await check('a transfer of 1 USDC sent with viem', async () => {
  const { USDC } = await contracts();
  const data = encodeFunctionData({
    abi: parseAbi(['function transfer(address token, address to, uint256 amount)']),
    args: [USDC, '0x000000000000000000000000000000000000dEaD', 1_000_000n],
  });
  // Not waited for: the page follows it from its first stage.
  return wallet.sendTransaction({ to: SYSTEM_ADDRESS, data });
});

await check('found by its hash in the search box; it moves to verified on L1 without a reload', async () => {
  assert.ok(hash, 'no transaction');
  await page.fill('#q', hash);
  await page.press('#q', 'Enter');
  await page.waitForFunction((h) => document.querySelector('#tx-hash')?.textContent === h, hash);
  // Every stage the page shows, as it redraws.
  await page.evaluate(() => {
    window.seenStages = [];
    const note = () => {
      const s = document.querySelector('#tx-stage')?.textContent;
      if (s && window.seenStages.at(-1) !== s) window.seenStages.push(s);
    };
    note();
    new MutationObserver(note).observe(document.querySelector('#view'), { childList: true, subtree: true });
  });
  await page.waitForFunction(
    () => /verified|final/.test(document.querySelector('#tx-stage')?.textContent ?? ''),
    null,
    { timeout: 45_000, polling: 100 },
  );
  const seen = await page.evaluate(() => window.seenStages);
  assert.ok(seen.length >= 2 && !/verified|final/.test(seen[0]), `stages seen: ${seen.join(' → ')}`);
  console.log(`  stages seen without a reload: ${seen.join(' → ')}`);
  await client.waitForTransactionReceipt({ hash, timeout: 10_000 });
  assert.ok(await page.isVisible('text=L1 transaction'), 'the batch row names its L1 transaction');
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`  screenshot of the transaction page: ${screenshot}`);
}, 50_000);

await check('a block number, an address and a batch are found too', async () => {
  await page.fill('#q', '1');
  await page.press('#q', 'Enter');
  await page.waitForSelector('text=Block #1');
  await page.fill('#q', account.address);
  await page.press('#q', 'Enter');
  await page.waitForSelector('text=Balances');
  await page.waitForSelector(`a[href="#/tx/${hash}"]`);
  await page.fill('#q', 'batch:0');
  await page.press('#q', 'Enter');
  await page.waitForSelector('text=Batch #0');
});

await check('on a phone the page fits its width', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(page_url);
  await page.waitForSelector('#chart');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${overflow} px wider than the screen`);
  const phone = screenshot.replace(/(\.png)?$/, '-phone.png');
  await page.screenshot({ path: phone, fullPage: true });
  console.log(`  screenshot of the chain's page on a phone: ${phone}`);
});

await check('no script error in the page', async () => {
  assert.deepEqual(errors, []);
});

await browser.close();
finish('explorer');
