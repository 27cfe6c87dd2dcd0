//! How every bench prints its report: the text a person reads, or one line of JSON for a
//! script (`--json`).

/// Prints `report` as text or as JSON.
#[allow(clippy::print_stdout)]
pub(crate) fn print<R: std::fmt::Display + serde::Serialize>(report: &R, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}
