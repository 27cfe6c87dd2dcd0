#![doc = include_str!("../README.md")]

pub mod account;
pub mod deploy;
pub mod error;
pub mod inbox;
pub mod pool;
pub mod rpc;

pub use deploy::{
    DEFAULT_FREEZE_DELAY, DEFAULT_INCLUSION_WINDOW, DEPLOY_FREEZE_DELAY, DEPLOY_INCLUSION_WINDOW, InboxParams,
};
pub use error::{Action, ContractError, L1Error};
pub use rpc::{provider, send, send_ok, signing_provider, view, view_at};
