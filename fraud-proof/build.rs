//! `sqlx::migrate!` embeds the migrations at compile time: rebuild when one is added, not only
//! when a source file changes.

fn main() {
    println!("cargo:rerun-if-changed=../migrations/challenger");
}
