//! Progress of long work on a terminal: one line on standard error, rewritten in place as the
//! work moves (`rollup deploy`'s steps, `rollup escape`'s derivation from L1, `rollup bench`
//! runs), and nothing at all when standard error is not a terminal (a log, a pipe, CI).

use std::{
    io::{IsTerminal, Write},
    sync::Mutex,
};

/// A progress line (see the module's documentation).
pub struct Progress {
    label: String,
    out: Option<Mutex<Box<dyn Write + Send>>>,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress").field("label", &self.label).field("shown", &self.out.is_some()).finish()
    }
}

impl Progress {
    /// A line labelled `label` on standard error, shown only if it is a terminal.
    pub fn stderr(label: impl Into<String>) -> Self {
        let shown = std::io::stderr().is_terminal();
        Self::to(label, shown.then(|| Box::new(std::io::stderr()) as Box<dyn Write + Send>))
    }

    /// A line on `out` (`None`: hidden).
    pub fn to(label: impl Into<String>, out: Option<Box<dyn Write + Send>>) -> Self {
        Self { label: label.into(), out: out.map(Mutex::new) }
    }

    /// Whether the line is shown.
    pub const fn shown(&self) -> bool {
        self.out.is_some()
    }

    /// Shows `state` in place of the line's last.
    pub fn update(&self, state: impl std::fmt::Display) {
        if let Some(out) = &self.out {
            let mut out = out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            // Carriage return and erase the line: the new state replaces the old.
            let _ = write!(out, "\r\x1b[2K{}: {state}", self.label);
            let _ = out.flush();
        }
    }

    /// Step `done` of `total`, named.
    pub fn step(&self, done: u64, total: u64, what: impl std::fmt::Display) {
        self.update(format_args!("[{done}/{total}] {what}"));
    }

    /// Ends the line with its last state (a later line starts below it).
    pub fn finish(&self, state: impl std::fmt::Display) {
        self.update(state);
        if let Some(out) = &self.out {
            let mut out = out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let _ = writeln!(out);
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// On a terminal each state replaces the last on one line; elsewhere nothing is written.
    #[test]
    fn a_progress_line_is_rewritten_in_place_and_silent_off_a_terminal() {
        let captured = Captured::default();
        let progress = Progress::to("deploy", Some(Box::new(captured.clone())));
        progress.step(1, 2, "the inbox");
        progress.step(2, 2, "the bridge");
        progress.finish("done");
        let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
        assert_eq!(text, "\r\x1b[2Kdeploy: [1/2] the inbox\r\x1b[2Kdeploy: [2/2] the bridge\r\x1b[2Kdeploy: done\n");
        let hidden = Progress::to("deploy", None);
        assert!(!hidden.shown());
        hidden.step(1, 2, "nothing");
        hidden.finish("nothing");
    }
}
