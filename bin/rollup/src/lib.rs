#![doc = include_str!("../README.md")]

mod args;
pub mod cli;
mod status_http;
