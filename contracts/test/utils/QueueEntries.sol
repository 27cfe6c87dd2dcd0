// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BridgeQueue} from "../../src/lib/BridgeQueue.sol";

/// @dev The queue entry `i` of `entries`, alone: the entries one chunk of a proof consumes.
function entryAt(BridgeQueue.Contents[] memory entries, uint256 i) pure returns (BridgeQueue.Contents[] memory one) {
    one = new BridgeQueue.Contents[](1);
    one[0] = entries[i];
}
