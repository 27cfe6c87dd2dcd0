"""The node's JSON-RPC against the Ethereum execution-apis specification (issue 55).

Every method the specification defines (clients/execution-apis: its eth and debug methods and
their schemas, as published at ethereum/execution-apis 033ca6e6, 2026-08-07) is called on a
running devnet with real parameters (a block, a transaction and a log of its own), and its
result is validated against the method's result schema with jsonschema. Each method is then
one of: conforms, does not conform (the schema's complaint is printed), absent (-32601) or
refused (another error, printed).

The debug_trace* methods are called with the callTracer: the specification leaves a named
tracer's output to the tracer and checks the entries around it; this node does not serve the
default opcode logger (docs/api.md §3.0g).

Run by clients/run.sh ("conformance"), or alone against any node:
    ROLLUP_RPC_URL=http://127.0.0.1:8547 ROLLUP_CHAIN_ID=… python conformance.py
Exits 1 if fewer than CONFORMANCE_MIN (default 40) methods conform. With CONFORMANCE_JSON=PATH
it writes the table as JSON there too.
"""

import glob
import json
import os
import sys
import time
import urllib.request

import yaml
from eth_account import Account
from jsonschema import Draft202012Validator

RPC_URL = os.environ["ROLLUP_RPC_URL"]
CHAIN_ID = int(os.environ["ROLLUP_CHAIN_ID"])
MINIMUM = int(os.environ.get("CONFORMANCE_MIN", "40"))
SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "execution-apis")
# Anvil key #9, funded on L2 (types/src/genesis.rs); the other clients use #2 to #8 on L2.
KEY = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"
USDC = "0x7000000000000000000000000000000000000002"
SYSTEM = "0x4200000000000000000000000000000000000010"
TO = "0x00000000000000000000000000000000000000a9"


def rpc(method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(RPC_URL, body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def result(method, params):
    answer = rpc(method, params)
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def load_spec():
    """The methods by name and every schema, as one document the methods' $refs resolve in."""
    methods, schemas = {}, {}
    for path in sorted(glob.glob(os.path.join(SPEC, "schemas", "*.yaml"))):
        with open(path) as f:
            schemas.update(yaml.safe_load(f))
    for path in sorted(glob.glob(os.path.join(SPEC, "eth", "*.yaml")) + glob.glob(os.path.join(SPEC, "debug", "*.yaml"))):
        with open(path) as f:
            for method in yaml.safe_load(f):
                methods[method["name"]] = method
    return methods, {"schemas": schemas}


def transfer_data(to, amount):
    return "0xa9059cbb" + to[2:].rjust(64, "0") + hex(amount)[2:].rjust(64, "0")


def signed_transfer(account, nonce, amount):
    tx = {
        "chainId": CHAIN_ID,
        "nonce": nonce,
        "to": USDC,
        "data": transfer_data(TO, amount),
        "gas": 200_000,
        "maxFeePerGas": 10_000_000_000,
        "maxPriorityFeePerGas": 0,
        "type": 2,
        "value": 0,
    }
    return "0x" + account.sign_transaction(tx).raw_transaction.hex().removeprefix("0x")


def fixtures():
    """A transaction of ours with a log, included, and what the calls name: its block, hash…"""
    account = Account.from_key(KEY)
    me = account.address
    nonce = int(result("eth_getTransactionCount", [me, "pending"]), 16)
    tx_hash = result("eth_sendRawTransaction", [signed_transfer(account, nonce, 1)])
    receipt = None
    for _ in range(200):
        receipt = result("eth_getTransactionReceipt", [tx_hash])
        if receipt:
            break
        time.sleep(0.1)
    if not receipt:
        raise RuntimeError(f"transaction {tx_hash} was not included within 20 s")
    number, block_hash = receipt["blockNumber"], receipt["blockHash"]
    call = {"from": me, "to": USDC, "data": "0x70a08231" + me[2:].rjust(64, "0")}
    send = {"from": me, "to": USDC, "data": transfer_data(TO, 1)}
    log_filter = {"fromBlock": number, "toBlock": number, "address": USDC}
    return {
        "account": account,
        "me": me,
        "nonce": nonce + 1,
        "tx": tx_hash,
        "index": receipt["transactionIndex"],
        "number": number,
        "block_hash": block_hash,
        "call": call,
        "send": send,
        "filter": log_filter,
    }


def params_of(name, fx):
    """The parameters each method is called with (None: the method takes none)."""
    tracer = {"tracer": "callTracer"}
    table = {
        "eth_getBlockByHash": [fx["block_hash"], False],
        "eth_getBlockByNumber": [fx["number"], True],
        "eth_getBlockTransactionCountByHash": [fx["block_hash"]],
        "eth_getBlockTransactionCountByNumber": [fx["number"]],
        "eth_getBlockReceipts": [fx["number"]],
        "eth_getBlockAccessList": [fx["number"]],
        "eth_call": [fx["call"], "latest"],
        "eth_estimateGas": [fx["send"], "latest"],
        "eth_createAccessList": [fx["send"], "latest"],
        "eth_simulateV1": [{"blockStateCalls": [{"calls": [fx["send"]]}]}, "latest"],
        "eth_feeHistory": ["0x4", "latest", [25, 75]],
        "eth_fillTransaction": [fx["send"]],
        "eth_newFilter": [fx["filter"]],
        "eth_uninstallFilter": [lambda: result("eth_newBlockFilter", [])],
        "eth_getFilterChanges": [lambda: result("eth_newFilter", [fx["filter"]])],
        "eth_getFilterLogs": [lambda: result("eth_newFilter", [fx["filter"]])],
        "eth_getLogs": [fx["filter"]],
        "eth_sign": [fx["me"], "0xdeadbeef"],
        "eth_signTransaction": [fx["send"]],
        "eth_getBalance": [fx["me"], "latest"],
        "eth_getStorageAt": [SYSTEM, "0x0", "latest"],
        "eth_getStorageValues": [{SYSTEM: ["0x0", "0x1"]}, "latest"],
        "eth_getTransactionCount": [fx["me"], "latest"],
        "eth_getCode": [USDC, "latest"],
        "eth_getProof": [SYSTEM, ["0x0"], "latest"],
        "eth_sendTransaction": [fx["send"]],
        "eth_sendRawTransaction": [lambda: signed_transfer(fx["account"], fx["nonce"], 2)],
        "eth_getTransactionByHash": [fx["tx"]],
        "eth_getTransactionByBlockHashAndIndex": [fx["block_hash"], fx["index"]],
        "eth_getTransactionByBlockNumberAndIndex": [fx["number"], fx["index"]],
        "eth_getTransactionReceipt": [fx["tx"]],
        "debug_getRawHeader": [fx["number"]],
        "debug_getRawBlock": [fx["number"]],
        "debug_getRawTransaction": [fx["tx"]],
        "debug_getRawReceipts": [fx["number"]],
        "debug_getRawBlockAccessList": [fx["number"]],
        "debug_traceBlockByNumber": [fx["number"], tracer],
        "debug_traceBlockByHash": [fx["block_hash"], tracer],
        "debug_traceTransaction": [fx["tx"], tracer],
    }
    params = table.get(name, [])
    return [p() if callable(p) else p for p in params]


def check(method, components, fx):
    name = method["name"]
    params = params_of(name, fx)
    answer = rpc(name, params)
    if "error" in answer:
        error = answer["error"]
        if error.get("code") == -32601:
            return "absent", error.get("message", "")
        return "refused", f"{error.get('code')}: {error.get('message')}"
    schema = dict(method["result"]["schema"])
    schema["components"] = components
    validator = Draft202012Validator(schema)
    errors = list(validator.iter_errors(answer["result"]))
    if errors:
        # The deepest reason under anyOf/oneOf (the branch that went furthest into the value),
        # rather than the whole value restated.
        leaves = []

        def leaves_of(error):
            if error.context:
                for e in error.context:
                    leaves_of(e)
            else:
                leaves.append(error)

        for error in errors:
            leaves_of(error)
        worst = max(leaves, key=lambda e: len(e.absolute_path))
        at = "/".join(str(p) for p in worst.absolute_path) or "(result)"
        return "does not conform", f"at {at}: {worst.message[:300]}"
    return "conforms", ""


def main():
    methods, components = load_spec()
    fx = fixtures()
    rows = []
    for name in sorted(methods):
        try:
            verdict, detail = check(methods[name], components, fx)
        except Exception as err:  # a transport failure is reported, not hidden
            verdict, detail = "refused", f"{type(err).__name__}: {err}"
        rows.append({"method": name, "verdict": verdict, "detail": detail})
    width = max(len(r["method"]) for r in rows)
    for r in rows:
        print(f"  {r['method']:<{width}}  {r['verdict']:<17} {r['detail']}")
    conforming = sum(r["verdict"] == "conforms" for r in rows)
    print(f"== conformance: {conforming} of {len(rows)} methods of the execution-apis spec conform", flush=True)
    if os.environ.get("CONFORMANCE_JSON"):
        with open(os.environ["CONFORMANCE_JSON"], "w") as f:
            json.dump({"conforming": conforming, "methods": len(rows), "rows": rows}, f, indent=1)
    return 0 if conforming >= MINIMUM else 1


if __name__ == "__main__":
    sys.exit(main())
