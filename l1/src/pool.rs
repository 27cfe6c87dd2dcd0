//! What an L1 node's refusal of a broadcast says. Nodes answer a raw transaction in words
//! (geth, reth, anvil and the pools in front of them use the phrases below), so this is the
//! one place that reads them.

/// What a node's refusal of a broadcast means for the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The node has the transaction already, or mined its nonce: nothing to do.
    Known,
    /// The account cannot pay: wait for funds.
    InsufficientFunds,
    /// The node could not be reached, or is too loaded to take it now: send the same again.
    Busy,
    /// A rule of the node's pool refuses it (size, gas, fees): sending the same again cannot
    /// help.
    Rule,
}

impl Refusal {
    /// Reads a node's refusal.
    pub fn of(message: &str) -> Self {
        let m = message.to_ascii_lowercase();
        let any = |phrases: &[&str]| phrases.iter().any(|p| m.contains(p));
        if any(&["already known", "already imported", "nonce too low"]) {
            Self::Known
        } else if any(&["insufficient funds", "insufficient balance"]) {
            Self::InsufficientFunds
        } else if any(&[
            "connection",
            "timed out",
            "timeout",
            "temporarily",
            "too many requests",
            "rate limit",
            "503",
            "502",
            "txpool is full",
        ]) {
            Self::Busy
        } else {
            Self::Rule
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_read_as_the_nodes_word_them() {
        assert_eq!(Refusal::of("already known"), Refusal::Known);
        assert_eq!(Refusal::of("nonce too low: next nonce 7, tx nonce 5"), Refusal::Known);
        assert_eq!(Refusal::of("insufficient funds for gas * price + value"), Refusal::InsufficientFunds);
        assert_eq!(Refusal::of("error sending request: connection refused"), Refusal::Busy);
        assert_eq!(Refusal::of("txpool is full"), Refusal::Busy);
        assert_eq!(Refusal::of("oversized data: transaction size 200000, limit 131072"), Refusal::Rule);
        assert_eq!(Refusal::of("max fee per gas less than block base fee"), Refusal::Rule);
    }
}
