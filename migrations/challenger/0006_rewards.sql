-- What each proven fraud proof earned (docs/fraud-proofs.md §6.4): the inbox gives its prover a
-- claim, paid once the batch before the one proven is final, unless a proof of an earlier
-- batch supersedes it.
-- claim: the claim's id (BatchInbox.claims); reward: pending | paid | superseded;
-- reward_tx: the claimReward transaction; reward_wei: what it paid (decimal).
ALTER TABLE l1_proofs ADD COLUMN claim BIGINT;
ALTER TABLE l1_proofs ADD COLUMN reward TEXT;
ALTER TABLE l1_proofs ADD COLUMN reward_tx BYTEA;
ALTER TABLE l1_proofs ADD COLUMN reward_wei TEXT;
