"""web3.py against a running devnet: connect, sign and send, events by range and by block
hash, a log filter polled with get_new_entries, two confirmations, EIP-7966 as a raw request
(web3.py has no method for it), decoded custom errors and "nonce too low", an ERC-20 token,
calls and state proofs at an earlier block, the WebSocket provider (newHeads), and ether as the
chain's currency (get_balance, a signed "send ETH" and the fee it pays, what the sequencer
refuses). Run by clients/run.sh; a plain script: each check is reported, the exit status is 1
if any failed.
"""

import asyncio
import json
import os
import signal
import sys
import time
import traceback
import urllib.request

from eth_abi import encode as abi_encode
from eth_utils import keccak
from eth_account import Account
from web3 import AsyncWeb3, Web3, WebSocketProvider
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.middleware import SignAndSendRawMiddlewareBuilder

RPC_URL = os.environ["ROLLUP_RPC_URL"]
REST_URL = os.environ["ROLLUP_REST_URL"].rstrip("/")
CHAIN_ID = int(os.environ["ROLLUP_CHAIN_ID"])
SYSTEM_ADDRESS = "0x4200000000000000000000000000000000000010"
# Anvil key #6, funded on L2 (types/src/genesis.rs); the Node clients use #4 and #5.
KEY = "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"
TO = Web3.to_checksum_address("0x00000000000000000000000000000000000000a3")
BUDGET_S = 50

STARTED = time.monotonic()
RESULTS = []


def report():
    failed = [name for name, ok in RESULTS if not ok]
    ms = int((time.monotonic() - STARTED) * 1000)
    line = f"== web3.py: {len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed in {ms} ms"
    if failed:
        line += "; FAILED: " + "; ".join(failed)
    print(line, flush=True)
    return len(failed)


def watchdog(_signum, _frame):
    print(f"FAIL web3.py: the whole script passed its {BUDGET_S} s budget", file=sys.stderr, flush=True)
    report()
    os._exit(1)


signal.signal(signal.SIGALRM, watchdog)
signal.alarm(BUDGET_S)


def check(name, fn):
    """Runs one named check; a failure is reported and the next checks still run."""
    t0 = time.monotonic()
    try:
        value = fn()
        RESULTS.append((name, True))
        print(f"  ok   {name} ({int((time.monotonic() - t0) * 1000)} ms)", flush=True)
        return value
    except Exception:  # noqa: BLE001 - every failure is reported the same way
        RESULTS.append((name, False))
        text = "".join(traceback.format_exc().splitlines(keepends=True)[-25:])
        indented = "".join("       " + line for line in text.splitlines(keepends=True))
        print(f"  FAIL {name} ({int((time.monotonic() - t0) * 1000)} ms)\n{indented}", file=sys.stderr, flush=True)
        return None


def needs(value, what):
    if value is None:
        raise AssertionError(f"skipped: needs {what}, which an earlier check did not give")
    return value


def eventually(poll, timeout_s, what, every_s=0.1):
    deadline = time.monotonic() + timeout_s
    while True:
        value = poll()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s: {what}")
        time.sleep(every_s)


def rest(path):
    with urllib.request.urlopen(f"{REST_URL}{path}", timeout=5) as res:
        assert res.status == 200, f"GET {path}: HTTP {res.status}"
        return json.load(res)


print(f"== web3.py against {RPC_URL} (chain id {CHAIN_ID})", flush=True)

w3 = Web3(Web3.HTTPProvider(RPC_URL, request_kwargs={"timeout": 10}))
acct = w3.eth.account.from_key(KEY)
ME = acct.address

listing = rest("/v1/contracts")
assert listing["chainId"] == CHAIN_ID, listing["chainId"]
system = next(c for c in listing["contracts"] if c["name"] == "L2System")
assert system["address"].lower() == SYSTEM_ADDRESS
tokens = {t["symbol"]: Web3.to_checksum_address(t["address"]) for t in listing["tokens"]}
WETH, USDC = tokens["WETH"], tokens["USDC"]
sysc = w3.eth.contract(address=Web3.to_checksum_address(system["address"]), abi=system["abi"])
ABI = system["abi"]


def balance_of(owner):
    return sysc.functions.balanceOf(USDC, owner).call()


def signed(fn, **overrides):
    """A signed transaction calling `fn`, filled by web3.py (nonce, gas, fees, chain id)."""
    params = {"from": ME, **overrides}
    if "nonce" not in params:
        params["nonce"] = w3.eth.get_transaction_count(ME, "pending")
    tx = fn.build_transaction(params)
    assert tx["chainId"] == CHAIN_ID
    return acct.sign_transaction(tx)


def send_transfer(amount, **overrides):
    return w3.eth.send_raw_transaction(signed(sysc.functions.transfer(USDC, TO, amount), **overrides).raw_transaction)


def error_selector(name):
    item = next(e for e in ABI if e["type"] == "error" and e["name"] == name)
    types = [i["type"] for i in item["inputs"]]
    return "0x" + keccak(text=f"{name}({','.join(types)})")[:4].hex(), types


def decode_custom_error(err, name):
    """The args of custom error `name` from a ContractCustomError's revert data."""
    assert isinstance(err, ContractCustomError), f"ContractCustomError, got {type(err).__name__}: {err}"
    data = err.data
    selector, types = error_selector(name)
    assert data[:10] == selector, f"revert data {data} is not {name} ({selector})"
    values = w3.codec.decode(types, bytes.fromhex(data[10:]))
    return [Web3.to_checksum_address(v) if t == "address" else v for t, v in zip(types, values)]


# 1. Connect.
def connect():
    assert w3.is_connected()
    assert w3.eth.chain_id == CHAIN_ID, w3.eth.chain_id
    head = w3.eth.block_number
    assert isinstance(head, int)
    assert w3.eth.get_block(head)["number"] == head


check("1 chain_id and block_number", connect)

AMOUNT1 = 1_000_001


# 2. Sign, send, wait for the receipt.
def first_transfer():
    before = balance_of(ME)
    tx_hash = send_transfer(AMOUNT1)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.1)
    assert receipt["status"] == 1, receipt
    assert receipt["transactionHash"] == tx_hash
    assert receipt["from"] == ME
    assert balance_of(ME) == before - AMOUNT1
    (event,) = sysc.events.Transfer().process_receipt(receipt)
    assert dict(event["args"]) == {"token": USDC, "from": ME, "to": TO, "amount": AMOUNT1}, event["args"]
    return receipt


first = check("2 send_raw_transaction transfer + wait_for_transaction_receipt", first_transfer)


# 3. The events by range and by block hash, consistent with the receipt.
def events_match():
    receipt = needs(first, "the receipt of check 2")
    from_block = max(0, receipt["blockNumber"] - 20)
    events = sysc.events.Transfer.get_logs(
        argument_filters={"token": USDC, "from": ME}, from_block=from_block, to_block=receipt["blockNumber"]
    )
    for e in events:
        assert e["args"]["token"] == USDC and e["args"]["from"] == ME, "the topic filters"
        assert from_block <= e["blockNumber"] <= receipt["blockNumber"], "the block range"
    mine = [e for e in events if e["transactionHash"] == receipt["transactionHash"]]
    assert len(mine) == 1, f"the transfer's event among {len(events)} in [{from_block}, {receipt['blockNumber']}]"
    (ev,) = mine
    assert ev["event"] == "Transfer"
    assert dict(ev["args"]) == {"token": USDC, "from": ME, "to": TO, "amount": AMOUNT1}
    assert ev["blockHash"] == receipt["blockHash"]
    assert ev["blockNumber"] == receipt["blockNumber"]
    assert ev["transactionIndex"] == receipt["transactionIndex"]
    in_receipt = [log for log in receipt["logs"] if log["logIndex"] == ev["logIndex"]]
    assert len(in_receipt) == 1, f"logIndex {ev['logIndex']} is in the receipt"
    assert in_receipt[0]["transactionIndex"] == ev["transactionIndex"]

    by_hash = sysc.events.Transfer.get_logs(argument_filters={"to": TO}, block_hash=receipt["blockHash"])
    again = [e for e in by_hash if e["transactionHash"] == receipt["transactionHash"]]
    assert len(again) == 1, "the log by block_hash"
    assert again[0]["logIndex"] == ev["logIndex"]


check("3 events.Transfer.get_logs matches the receipt", events_match)

AMOUNT2 = 2_000_002


# 4. A log filter polled with get_new_entries sees the next transfer.
def watch():
    log_filter = sysc.events.Transfer.create_filter(from_block="latest", argument_filters={"from": ME})
    try:
        tx_hash = send_transfer(AMOUNT2)
        seen = []

        def poll():
            seen.extend(log_filter.get_new_entries())
            found = [e for e in seen if e["transactionHash"] == tx_hash]
            return found[0] if found else None

        entry = eventually(poll, 10, f"the Transfer of {tx_hash.to_0x_hex()} from get_new_entries")
        assert dict(entry["args"]) == {"token": USDC, "from": ME, "to": TO, "amount": AMOUNT2}, entry["args"]
        time.sleep(0.3)
        seen.extend(log_filter.get_new_entries())
        assert len([e for e in seen if e["transactionHash"] == tx_hash]) == 1, "delivered once"
        return tx_hash, entry
    finally:
        assert w3.eth.uninstall_filter(log_filter.filter_id) is True


second = check("4 create_filter + get_new_entries sees a new transfer", watch)


# 5. Two confirmations: an idle chain seals empty blocks, so the head moves on.
def confirmations():
    tx_hash, entry = needs(second, "the transfer of check 4")
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.1)
    assert receipt["status"] == 1
    assert receipt["blockHash"] == entry["blockHash"]
    head = eventually(
        lambda: (lambda h: h if h - receipt["blockNumber"] + 1 >= 2 else None)(w3.eth.block_number),
        15,
        f"2 confirmations of block {receipt['blockNumber']}",
    )
    assert head >= receipt["blockNumber"] + 1


check("5 two confirmations (polling block_number)", confirmations)


# 6. EIP-7966, as a raw request.
def sync_send():
    amount3 = 3_000_003
    tx = signed(sysc.functions.transfer(USDC, TO, amount3))
    response = w3.provider.make_request("eth_sendRawTransactionSync", [tx.raw_transaction.to_0x_hex(), 10_000])
    assert "error" not in response, response.get("error")
    raw = response["result"]
    assert raw["transactionHash"] == tx.hash.to_0x_hex(), (raw["transactionHash"], tx.hash.to_0x_hex())
    assert raw["status"] == "0x1"
    receipt = w3.eth.get_transaction_receipt(tx.hash)
    assert receipt["blockHash"].to_0x_hex() == raw["blockHash"]
    (event,) = sysc.events.Transfer().process_receipt(receipt)
    assert event["args"]["amount"] == amount3
    assert int(raw["logs"][0]["logIndex"], 16) == event["logIndex"]


check("6 eth_sendRawTransactionSync (raw request)", sync_send)


# 7. Reverts: the custom error's data, and the node's decoded message.
def impossible_swap():
    amount_in = 10**15
    min_out = 10**30
    quoted = sysc.functions.getAmountOut(WETH, USDC, amount_in).call()
    fn = sysc.functions.swap(WETH, USDC, amount_in, min_out)
    for what, run in (("call", lambda: fn.call({"from": ME})), ("estimate_gas", lambda: fn.estimate_gas({"from": ME}))):
        try:
            run()
        except ContractLogicError as err:
            assert decode_custom_error(err, "InsufficientOutput") == [quoted, min_out], what
        else:
            raise AssertionError(f"{what} of an impossible swap succeeded")
    # The node's own message names the error (docs/api.md 3.0c); web3.py keeps only the data.
    response = w3.provider.make_request(
        "eth_call", [{"from": ME, "to": sysc.address, "data": fn._encode_transaction_data()}, "latest"]
    )
    error = response["error"]
    assert error["code"] == 3, error
    assert error["message"] == f"execution reverted: InsufficientOutput({quoted}, {min_out})", error["message"]


check("7a swap with an impossible minAmountOut: ContractCustomError InsufficientOutput", impossible_swap)


def overdraft():
    balance = balance_of(ME)
    try:
        sysc.functions.transfer(USDC, TO, balance + 1).call({"from": ME})
    except ContractLogicError as err:
        assert decode_custom_error(err, "InsufficientBalance") == [USDC, ME, balance, balance + 1]
    else:
        raise AssertionError("an overdraft called fine")


check("7b transfer of more than the balance: ContractCustomError InsufficientBalance", overdraft)


# 8. "nonce too low": web3.py has no typed error for it; a Web3RPCError with geth's words.
def nonce_too_low():
    try:
        tx_hash = send_transfer(1, nonce=0)
    except Web3RPCError as err:
        error = err.rpc_response["error"]
        assert error["code"] == -32000, error
        assert error["message"].startswith("nonce too low"), error["message"]
        assert error.get("data") == "nonce_too_low", error
        assert "nonce too low" in str(err)
    else:
        raise AssertionError(f"a transaction with nonce 0 was accepted: {tx_hash.to_0x_hex()}")


check("8 a used nonce: Web3RPCError 'nonce too low'", nonce_too_low)

# 9. Tokens are ERC-20 contracts backed by the ledger.
ERC20_ABI = [
    {"type": "function", "name": "symbol", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "string"}]},
    {"type": "function", "name": "decimals", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint8"}]},
    {"type": "function", "name": "balanceOf", "stateMutability": "view",
     "inputs": [{"name": "owner", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "transfer", "stateMutability": "nonpayable",
     "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"type": "event", "name": "Transfer", "anonymous": False, "inputs": [
        {"name": "from", "type": "address", "indexed": True},
        {"name": "to", "type": "address", "indexed": True},
        {"name": "value", "type": "uint256", "indexed": False}]},
]


def erc20_token():
    usdc = w3.eth.contract(address=USDC, abi=ERC20_ABI)
    assert usdc.functions.symbol().call() == "USDC"
    assert usdc.functions.decimals().call() == 6
    assert usdc.functions.balanceOf(ME).call() == balance_of(ME)
    before = usdc.functions.balanceOf(TO).call()
    tx_hash = w3.eth.send_raw_transaction(signed(usdc.functions.transfer(TO, 13)).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.1)
    assert receipt["status"] == 1, receipt
    (event,) = usdc.events.Transfer().process_receipt(receipt)
    assert event["address"] == USDC
    assert dict(event["args"]) == {"from": ME, "to": TO, "value": 13}, event["args"]
    assert usdc.functions.balanceOf(TO).call() == before + 13


check("9 ERC-20 contract: reads and a transfer with its event at the token", erc20_token)


def verify_state_proof(root, key, proof):
    """The value an eth_getProof proof shows for `key` against `root` (docs/state-commitment.md
    5.3 and 5.5: sibling hashes from the root down, then the terminal); fails if it does not
    verify."""
    items = [bytes(p) for p in proof]
    terminal, siblings = items[-1], items[:-1]
    assert len(siblings) <= 256

    def bit(k, d):
        return (k[d // 8] >> (7 - d % 8)) & 1

    h = keccak(b"\0" + terminal) if terminal else bytes(32)
    for d in reversed(range(len(siblings))):
        h = keccak(siblings[d] + h) if bit(key, d) else keccak(h + siblings[d])
    assert h == bytes(root), "the proof leads to the root"
    if not terminal:
        return 0
    assert len(terminal) == 64, "a leaf terminal is key || value"
    if terminal[:32] == key:
        return int.from_bytes(terminal[32:], "big")
    assert all(bit(terminal[:32], d) == bit(key, d) for d in range(len(siblings))), "the leaf shares the path"
    return 0


# 10. Reads at an earlier block, and state proofs against its stateRoot.
def state_at_a_block():
    before = balance_of(TO)
    receipt = w3.eth.wait_for_transaction_receipt(send_transfer(17), timeout=10, poll_latency=0.1)
    n = receipt["blockNumber"]
    assert sysc.functions.balanceOf(USDC, TO).call(block_identifier=n - 1) == before, "a call at the block before"
    assert sysc.functions.balanceOf(USDC, TO).call(block_identifier=n) == before + 17
    assert w3.eth.get_transaction_count(ME, n) == w3.eth.get_transaction_count(ME, n - 1) + 1
    key = keccak(abi_encode(["uint256", "address", "address"], [2, USDC, TO]))
    proof = w3.eth.get_proof(sysc.address, [int.from_bytes(key, "big")], n)
    root = w3.eth.get_block(n)["stateRoot"]
    assert proof["storageHash"] == root, (proof["storageHash"], root)
    # web3.py gives a slot's value as bytes (HexBytes), as geth's quantity.
    assert int.from_bytes(proof["storageProof"][0]["value"], "big") == before + 17
    assert verify_state_proof(root, key, proof["storageProof"][0]["proof"]) == before + 17
    account = w3.eth.get_proof(ME, [], n)
    nonce_key = keccak(abi_encode(["uint256", "address"], [0, ME]))
    assert verify_state_proof(root, nonce_key, account["accountProof"]) == account["nonce"]


check("10 calls at an earlier block_identifier, and get_proof verified against stateRoot", state_at_a_block)


# 11. The WebSocket provider: new heads over eth_subscribe, reads over the same socket.
def websocket_heads():
    async def run():
        ws_url = RPC_URL.replace("http", "ws", 1)
        async with AsyncWeb3(WebSocketProvider(ws_url)) as ws:
            assert await ws.eth.chain_id == CHAIN_ID
            subscription = await ws.eth.subscribe("newHeads")
            tx_hash = send_transfer(19)
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.1)
            heads = []
            async for message in ws.socket.process_subscriptions():
                assert message["subscription"] == subscription, message
                heads.append(message["result"]["number"])
                if heads[-1] >= receipt["blockNumber"]:
                    break
            assert heads == sorted(heads), heads
            assert await ws.eth.unsubscribe(subscription)
            return heads

    return asyncio.run(asyncio.wait_for(run(), 15))


check("11 WebSocketProvider: newHeads over eth_subscribe", websocket_heads)

# 12. Ether is the chain's currency: the ledger's balance of the bridged-ETH token, moved by a
# plain "send ETH" (empty calldata). Every transaction pays its fee in ether (docs/fees.md §2):
# gasUsed × effectiveGasPrice, taken from its sender before it runs and credited to the fee vault
# (§6), so the sender pays the value plus exactly that fee.
ETH_TOKEN = Web3.to_checksum_address("0x7e5dBF11c9EF14E152A19D5f8ea75a329092d5a6")
FEE_VAULT = Web3.to_checksum_address("0x4200000000000000000000000000000000000011")
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MIN_BASE_FEE = 1_000_000
eth_token = w3.eth.contract(address=ETH_TOKEN, abi=ERC20_ABI)
GETH_INSUFFICIENT_FUNDS = "insufficient funds for gas * price + value: address {} have {} want {}"
GETH_FEE_CAP_TOO_LOW = "max fee per gas less than block base fee: address {}, maxFeePerGas: {}, baseFee: "


def fresh_address():
    return Account.create().address


def ether_balance():
    balance = w3.eth.get_balance(ME)
    assert balance > 0, f"a dev account holds ether (got {balance})"
    assert balance == eth_token.functions.balanceOf(ME).call(), "get_balance and the token's balanceOf agree"
    assert w3.eth.get_balance(fresh_address()) == 0, "a fresh address holds nothing"


check("12a get_balance of a dev account equals the ERC-20 balanceOf at 0x7e5d...", ether_balance)


# A Web3 of its own that signs with the key: send_transaction fills in nonce, gas (an
# eth_estimateGas of the plain send), fees and chain id by web3.py's defaults.
signer = Web3(Web3.HTTPProvider(RPC_URL, request_kwargs={"timeout": 10}))
signer.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(acct), layer=0)


def send_ether():
    fresh = fresh_address()
    value = Web3.to_wei("0.25", "ether")
    before = w3.eth.get_balance(ME)
    tx_hash = signer.eth.send_transaction({"from": ME, "to": fresh, "value": value})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.1)
    assert receipt["status"] == 1, receipt
    assert receipt["from"] == ME and receipt["to"] == fresh, receipt
    sent = w3.eth.get_transaction(tx_hash)
    assert sent["value"] == value and sent["input"] == b"", sent
    # The fee: the scheduled gas of a transfer of ether at the 1559 price over the block's base
    # fee (the gas price of a legacy transaction). web3.py signs a gas limit above the estimate
    # (it adds a buffer of 100,000); what is paid is gasUsed, not the limit.
    n = receipt["blockNumber"]
    assert sent["gas"] >= 21_000, f"a gas limit of at least eth_estimateGas's answer, 21,000 (got {sent['gas']})"
    assert receipt["gasUsed"] == 21_000, f"a transfer of ether uses its scheduled 21,000 gas (got {receipt['gasUsed']})"
    base_fee = w3.eth.get_block(n)["baseFeePerGas"]
    assert base_fee >= MIN_BASE_FEE, f"the block's base fee {base_fee} is at least {MIN_BASE_FEE} wei"
    if sent["type"] == 2:
        price = min(sent["maxFeePerGas"], base_fee + sent["maxPriorityFeePerGas"])
        how = f"min(maxFeePerGas {sent['maxFeePerGas']}, baseFeePerGas {base_fee} + maxPriorityFeePerGas {sent['maxPriorityFeePerGas']})"
    else:
        price = sent["gasPrice"]
        how = f"the legacy gasPrice {price}"
    assert receipt["effectiveGasPrice"] > 0, receipt
    assert receipt["effectiveGasPrice"] == price, f"effectiveGasPrice {receipt['effectiveGasPrice']} = {how}"
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    # Exact balances: at the receipt's block against the block before, and now against before.
    assert w3.eth.get_balance(fresh, n) == value, "the recipient holds 0.25 ETH at the receipt's block"
    assert w3.eth.get_balance(fresh, n - 1) == 0, "nothing at the block before"
    paid = w3.eth.get_balance(ME, n - 1) - w3.eth.get_balance(ME, n)
    assert paid == value + fee, f"the sender paid exactly 0.25 ETH + gasUsed × effectiveGasPrice ({fee} wei), not {paid}"
    assert w3.eth.get_balance(fresh) == value, "the recipient holds 0.25 ETH"
    assert w3.eth.get_balance(ME) == before - value - fee, "the sender paid exactly 0.25 ETH + the fee"
    assert eth_token.functions.balanceOf(fresh).call() == value, "the token's balanceOf shows the same"
    # The fee vault is credited in the same block: at least this fee (the block's other
    # transactions pay too), and exactly the fees of all the block's receipts.
    gain = w3.eth.get_balance(FEE_VAULT, n) - w3.eth.get_balance(FEE_VAULT, n - 1)
    assert gain >= fee, f"the fee vault gained {gain} wei in block {n}, at least the fee {fee}"
    receipts = w3.eth.get_block_receipts(n)
    block_fees = sum(r["gasUsed"] * r["effectiveGasPrice"] for r in receipts)
    assert gain == block_fees, f"the fee vault gained {gain}, the fees of the block's {len(receipts)} receipts {block_fees}"
    # The credit is visible (docs/fees.md §8): the block closes with the vault's type-0x7e
    # transaction, whose receipt logs the fees minted to the vault, found by get_logs too.
    credit = receipts[-1]
    assert credit["type"] == 0x7E and credit["from"] == FEE_VAULT and credit["effectiveGasPrice"] == 0, credit
    (minted,) = eth_token.events.Transfer().process_receipt(credit)
    assert dict(minted["args"]) == {"from": ZERO_ADDRESS, "to": FEE_VAULT, "value": gain}, minted["args"]
    found = eth_token.events.Transfer().get_logs(
        from_block=n, to_block=n, argument_filters={"from": ZERO_ADDRESS, "to": FEE_VAULT}
    )
    assert [e["transactionHash"] for e in found] == [credit["transactionHash"]], found
    full = w3.eth.get_block(n, full_transactions=True)
    assert full["transactions"][-1]["hash"] == credit["transactionHash"], full["transactions"][-1]
    assert w3.eth.get_transaction(credit["transactionHash"])["type"] == 0x7E
    # The ledger's Transfer at the system contract, then the ERC-20 Transfer at the token.
    assert [log["address"] for log in receipt["logs"]] == [sysc.address, ETH_TOKEN], receipt["logs"]
    (ledger,) = sysc.events.Transfer().process_receipt(receipt)
    assert dict(ledger["args"]) == {"token": ETH_TOKEN, "from": ME, "to": fresh, "amount": value}, ledger["args"]
    (erc20,) = eth_token.events.Transfer().process_receipt(receipt)
    assert dict(erc20["args"]) == {"from": ME, "to": fresh, "value": value}, erc20["args"]


check("12b send_transaction of 0.25 ETH (signed locally) to a fresh address: balances after", send_ether)


def refused(tx, code):
    """The sequencer's JSON-RPC error for the signed `tx` (its nonce and chain id filled in)."""
    tx = {"nonce": w3.eth.get_transaction_count(ME, "pending"), "chainId": CHAIN_ID, **tx}
    try:
        tx_hash = w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
    except Web3RPCError as err:
        error = err.rpc_response["error"]
        assert error["code"] == -32000, error
        assert error.get("data") == code, error
        return error["message"]
    raise AssertionError(f"accepted: {tx_hash.to_0x_hex()} ({tx})")


def door_refusals():
    nonce = w3.eth.get_transaction_count(ME, "pending")
    balance = w3.eth.get_balance(ME)
    # A fee cap the chain accepts (1 gwei, far above eth_gasPrice on the devnet), so that each
    # transaction reaches the refusal it is meant for.
    gas_price = w3.eth.gas_price
    assert gas_price >= MIN_BASE_FEE, f"eth_gasPrice {gas_price} is at least {MIN_BASE_FEE} wei"
    max_fee = max(10**9, 2 * gas_price)
    fees = {"maxFeePerGas": max_fee, "maxPriorityFeePerGas": 0}
    fresh = fresh_address()
    gas = w3.eth.estimate_gas({"from": ME, "to": fresh, "value": 1})
    assert gas == 21_000, f"eth_estimateGas of a transfer of ether: its scheduled 21,000 (got {gas})"
    message = refused({"to": fresh, "value": balance + 1, "gas": gas, **fees}, "insufficient_funds")
    # geth's want: gasLimit × maxFeePerGas + value.
    assert message == GETH_INSUFFICIENT_FUNDS.format(ME, balance, gas * max_fee + balance + 1), message
    message = refused({"to": ETH_TOKEN, "value": 1, "gas": 200_000, **fees}, "ether_to_contract")
    assert ETH_TOKEN.lower() in message.lower(), message
    data = sysc.functions.transfer(USDC, TO, 1)._encode_transaction_data()
    refused({"to": sysc.address, "value": 1, "data": data, "gas": 200_000, **fees}, "value_not_allowed")
    # A fee cap of 1 wei, below the base fee: refused, not held.
    message = refused({"to": fresh, "value": 1, "gas": gas, "maxFeePerGas": 1, "maxPriorityFeePerGas": 0}, "fee_cap_too_low")
    assert message.startswith("max fee per gas less than block base fee"), message
    assert message.startswith(GETH_FEE_CAP_TOO_LOW.format(ME, 1)), message
    assert int(message.rsplit(" ", 1)[1]) >= MIN_BASE_FEE, message
    assert w3.eth.get_balance(ME) == balance, "nothing moved"
    assert w3.eth.get_transaction_count(ME, "pending") == nonce, "no nonce used"


check(
    "12c refused at the door: insufficient_funds (geth's words), ether_to_contract, value_not_allowed, fee_cap_too_low",
    door_refusals,
)


def overdraft_estimated():
    # As a wallet sends it: web3.py estimates the gas first, which must fail as geth's does.
    balance = w3.eth.get_balance(ME)
    try:
        tx_hash = signer.eth.send_transaction({"from": ME, "to": fresh_address(), "value": balance + 1})
    except Web3RPCError as err:
        error = err.rpc_response["error"]
        assert error["code"] == -32000, error
        assert error["message"].startswith(GETH_INSUFFICIENT_FUNDS.format(ME, balance, balance + 1)), error
    else:
        raise AssertionError(f"a send of more than the balance was accepted: {tx_hash.to_0x_hex()}")
    assert w3.eth.get_balance(ME) == balance, "nothing moved"


check("12d send_transaction of more ether than the balance (gas estimated): geth's insufficient funds", overdraft_estimated)

sys.exit(1 if report() else 0)
