// Copies the parts of forge's build output that the Rust side needs (ABI, creation and
// runtime bytecode) into contracts/artifacts/<Name>.json, which is committed. The Rust
// bindings (`sol!` in rollup-types) are generated from these files; `make check-artifacts`
// rebuilds them and fails when they differ from what is committed.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const outDir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, 'artifacts');
const contracts = [
  ['l2/L2System.sol', 'L2System'],
  ['l2/L2Token.sol', 'L2Token'],
  ['l2/L2Lending.sol', 'L2Lending'],
  ['l2/Multicall3.sol', 'Multicall3'],
  ['l2/L2SupplyToken.sol', 'L2SupplyToken'],
  ['l1/BatchInbox.sol', 'BatchInbox'],
  ['l1/BlobVerifier.sol', 'BlobVerifier'],
  ['l1/BatchDecoder.sol', 'BatchDecoder'],
  ['l1/ReplayLogic.sol', 'ReplayLogic'],
  ['l1/LendingReplay.sol', 'LendingReplay'],
  ['l1/ChunkVerifier.sol', 'ChunkVerifier'],
  ['l1/L1Bridge.sol', 'L1Bridge'],
  ['l1/TestToken.sol', 'TestToken'],
];

fs.mkdirSync(outDir, { recursive: true });
for (const [source, name] of contracts) {
  const built = JSON.parse(fs.readFileSync(path.join(root, 'out', path.basename(source), `${name}.json`), 'utf8'));
  const artifact = {
    contractName: name,
    sourceName: `contracts/src/${source}`,
    abi: built.abi,
    bytecode: { object: built.bytecode.object },
    deployedBytecode: { object: built.deployedBytecode.object },
  };
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(artifact, null, 2) + '\n');
}
