//! JSON-RPC over a WebSocket on `GET /` (docs/api.md §3.0e): every method `POST /` answers,
//! plus `eth_subscribe` (`newHeads`, `logs`, `newPendingTransactions`) and `eth_unsubscribe`.
//!
//! A connection is one task reading requests and delivering notifications, a writer task that
//! owns the socket's sending half behind a bounded queue, and up to [`MAX_IN_FLIGHT`] requests
//! answered at once. A client that stops reading is disconnected once a message waits
//! [`SEND_TIMEOUT`] to go out; it never holds the node's memory or other clients back.

use super::{
    Ctx, Filters, answer,
    convert::rpc_block,
    error::RpcError,
    logs::{criteria, to_rpc_logs},
    reply,
};
use crate::{api::server::ConnectionHold, fair::Client, node::Node};
use alloy_primitives::U128;
use alloy_rpc_types_eth::Filter;
use axum::{
    Extension,
    extract::{
        State,
        ws::{Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    http::StatusCode,
    response::{IntoResponse, Response},
};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::sync::{Semaphore, mpsc};

/// Most subscriptions one connection holds at once.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 100;
/// Most requests of one connection answered at once; the next waits (the connection's reads
/// pause meanwhile).
const MAX_IN_FLIGHT: usize = 16;
/// Messages queued for a connection's writer.
const OUTBOX: usize = 4_096;
/// Longest one message may wait to be taken by the client before the connection is closed.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How often newly held transactions are looked for while a connection subscribes to them.
const PENDING_POLL: Duration = Duration::from_millis(100);
/// Most transaction hashes delivered per poll (the rest at the next).
const MAX_HASHES_PER_POLL: usize = 10_000;

/// `GET /`: upgrades to a WebSocket speaking JSON-RPC.
pub(in crate::api) async fn upgrade(
    State(node): State<Arc<Node>>,
    Extension(filters): Extension<Arc<Filters>>,
    hold: Option<Extension<Arc<ConnectionHold>>>,
    client: Option<Extension<Client>>,
    headers: axum::http::HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let client = client.map_or(Client::LOCAL, |Extension(c)| c);
    let ws = match ws {
        Ok(ws) => ws,
        // A plain GET (a browser): the explorer page.
        Err(_) if !headers.contains_key(axum::http::header::UPGRADE) => return crate::api::explorer::page(),
        Err(rejection) => {
            let message = format!(
                "GET / opens a WebSocket for JSON-RPC ({}); over HTTP, send JSON-RPC with POST /",
                rejection.body_text()
            );
            return super::super::ApiError::new(StatusCode::BAD_REQUEST, "not_a_websocket", message).into_response();
        }
    };
    let limit = node.config().body_limit;
    let hold = hold.map(|Extension(hold)| hold);
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| connection(socket, Ctx { node, filters, client }, hold))
}

/// What a subscription delivers.
enum Kind {
    /// Each new block's header.
    Heads,
    /// The logs of each new block that match the filter.
    Logs(Box<Filter>),
    /// The hash of each newly held transaction.
    Pending,
}

/// A connection's subscriptions, and where their deliveries stand.
struct Subscriptions {
    by_id: BTreeMap<U128, Kind>,
    /// The first block not delivered yet.
    next_block: u64,
    /// The cursor of newly held transactions (`ChainEvents::pending_since`).
    pending_cursor: u64,
}

impl Subscriptions {
    fn wants_blocks(&self) -> bool {
        self.by_id.values().any(|k| matches!(k, Kind::Heads | Kind::Logs(_)))
    }

    fn wants_pending(&self) -> bool {
        self.by_id.values().any(|k| matches!(k, Kind::Pending))
    }
}

fn notification(id: U128, result: &impl serde::Serialize) -> Message {
    let body = json!({
        "jsonrpc": "2.0",
        "method": "eth_subscription",
        "params": { "subscription": id, "result": result },
    });
    Message::Text(body.to_string().into())
}

async fn connection(socket: WebSocket, ctx: Ctx, hold: Option<Arc<ConnectionHold>>) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut outbox) = mpsc::channel::<Message>(OUTBOX);
    let writer = tokio::spawn(async move {
        while let Some(message) = outbox.recv().await {
            match tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await {
                Ok(Ok(())) => {}
                _ => break,
            }
        }
        let _ = tokio::time::timeout(SEND_TIMEOUT, sink.close()).await;
    });
    let cancel = hold.as_ref().map(|h| h.cancel.clone()).unwrap_or_default();
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut heads = ctx.node.events().heads();
    let mut subs = Subscriptions { by_id: BTreeMap::new(), next_block: 0, pending_cursor: 0 };
    let mut pending_poll = tokio::time::interval(PENDING_POLL);
    pending_poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let ended = tokio::select! {
            _ = cancel.cancelled() => true,
            _ = out.closed() => true,
            message = stream.next() => match message {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => true,
                Some(Ok(Message::Text(text))) => {
                    request(&ctx, &out, &in_flight, &mut subs, &mut heads, text.as_str().as_bytes()).await
                }
                Some(Ok(Message::Binary(bytes))) => request(&ctx, &out, &in_flight, &mut subs, &mut heads, &bytes).await,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => false,
            },
            changed = heads.changed(), if subs.wants_blocks() => {
                changed.is_err() || deliver_blocks(&ctx.node, &out, &mut subs).await.is_err()
            }
            _ = pending_poll.tick(), if subs.wants_pending() => deliver_pending(&ctx.node, &out, &mut subs).await.is_err(),
        };
        if ended {
            break;
        }
    }
    drop(out);
    let _ = writer.await;
    drop(hold);
}

/// Answers one message: a subscription request here, anything else on its own task (at most
/// [`MAX_IN_FLIGHT`] at once). Returns whether the connection is to close.
async fn request(
    ctx: &Ctx,
    out: &mpsc::Sender<Message>,
    in_flight: &Arc<Semaphore>,
    subs: &mut Subscriptions,
    heads: &mut tokio::sync::watch::Receiver<u64>,
    body: &[u8],
) -> bool {
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            let err = RpcError::new(-32700, format!("parse error: {e}"));
            return send(out, Message::Text(reply(Value::Null, Err(err)).to_string().into())).await.is_err();
        }
    };
    let method = request.get("method").and_then(Value::as_str).unwrap_or_default();
    if method == "eth_subscribe" || method == "eth_unsubscribe" {
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        let params = match request.get("params") {
            Some(Value::Array(params)) => params.clone(),
            None | Some(Value::Null) => Vec::new(),
            Some(_) => {
                let err = RpcError::new(-32602, "params must be an array");
                return send(out, Message::Text(reply(id, Err(err)).to_string().into())).await.is_err();
            }
        };
        let result =
            if method == "eth_subscribe" { subscribe(ctx, subs, heads, params) } else { unsubscribe(subs, params) };
        return send(out, Message::Text(reply(id, result).to_string().into())).await.is_err();
    }
    let Ok(permit) = in_flight.clone().acquire_owned().await else { return true };
    let (ctx, out) = (ctx.clone(), out.clone());
    tokio::spawn(async move {
        let body = answer(&ctx, request).await;
        let text = String::from_utf8(body).unwrap_or_default();
        let _ = send(&out, Message::Text(text.into())).await;
        drop(permit);
    });
    false
}

/// Queues a message for the writer; an error means the connection is gone.
async fn send(out: &mpsc::Sender<Message>, message: Message) -> Result<(), ()> {
    out.send(message).await.map_err(|_| ())
}

fn subscribe(
    ctx: &Ctx,
    subs: &mut Subscriptions,
    heads: &mut tokio::sync::watch::Receiver<u64>,
    params: Vec<Value>,
) -> Result<Value, RpcError> {
    if subs.by_id.len() >= MAX_SUBSCRIPTIONS_PER_CONNECTION {
        return Err(RpcError::limit(
            "too_many_subscriptions",
            format!("this connection holds {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions, the most it may"),
        ));
    }
    let kind = match params.first().and_then(Value::as_str) {
        Some("newHeads") => Kind::Heads,
        Some("logs") => {
            let filter: Filter = match params.get(1) {
                None | Some(Value::Null) => Filter::default(),
                Some(v) => serde_json::from_value(v.clone())
                    .map_err(|e| RpcError::invalid_params(format!("parameter 1 (filter): {e}")))?,
            };
            Kind::Logs(Box::new(filter))
        }
        Some("newPendingTransactions") => {
            if params.get(1).and_then(Value::as_bool) == Some(true) {
                return Err(RpcError::invalid_params(
                    "newPendingTransactions delivers transaction hashes; full transactions are not served",
                ));
            }
            Kind::Pending
        }
        Some(other) => {
            return Err(RpcError::invalid_params(format!(
                "unknown subscription {other:?}: newHeads, logs or newPendingTransactions"
            )));
        }
        None => return Err(RpcError::invalid_params("missing parameter 0: the subscription's name")),
    };
    let events = ctx.node.events();
    match kind {
        // From the next block on: the first such subscription starts the connection's cursor.
        Kind::Heads | Kind::Logs(_) if !subs.wants_blocks() => {
            subs.next_block = *heads.borrow_and_update() + 1;
        }
        Kind::Pending if !subs.wants_pending() => subs.pending_cursor = events.pending_cursor(),
        _ => {}
    }
    let id = ctx.filters.new_id();
    subs.by_id.insert(id, kind);
    Ok(json!(id))
}

fn unsubscribe(subs: &mut Subscriptions, params: Vec<Value>) -> Result<Value, RpcError> {
    let id: U128 = params
        .first()
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
        .map_err(|e| RpcError::invalid_params(format!("parameter 0 (subscription id): {e}")))?
        .ok_or_else(|| RpcError::invalid_params("missing parameter 0: subscription id"))?;
    Ok(json!(subs.by_id.remove(&id).is_some()))
}

/// Delivers every block from the cursor to the head: its header to `newHeads`, its matching
/// logs to each `logs` subscription (one notification per log, in order).
async fn deliver_blocks(node: &Node, out: &mpsc::Sender<Message>, subs: &mut Subscriptions) -> Result<(), ()> {
    let head = node.head().header.number;
    while subs.next_block <= head {
        let number = subs.next_block;
        let block = match node.store().block(number).await {
            Ok(Some(block)) => block,
            // Not readable now: tried again at the next head.
            Ok(None) | Err(_) => return Ok(()),
        };
        let mut header = None;
        // The block's logs are read once, whatever the number of log subscriptions.
        let mut block_logs = None;
        for (id, kind) in &subs.by_id {
            match kind {
                Kind::Heads => {
                    if header.is_none() {
                        header = rpc_block(node, &block, false).await.ok().map(|b| b.header);
                    }
                    if let Some(header) = &header {
                        send(out, notification(*id, header)).await?;
                    }
                }
                Kind::Logs(filter) => {
                    if block_logs.is_none() {
                        let every = criteria(&Filter::default(), number, number);
                        let Ok(rows) = node.store().logs(&every, usize::MAX >> 1).await else { return Ok(()) };
                        let logs = to_rpc_logs(rows);
                        block_logs = Some(logs);
                    }
                    let query = criteria(filter, number, number);
                    for log in block_logs.iter().flatten() {
                        if query.matches_parts(&log.address(), log.topics()) {
                            send(out, notification(*id, log)).await?;
                        }
                    }
                }
                Kind::Pending => {}
            }
        }
        subs.next_block = number + 1;
    }
    Ok(())
}

/// Delivers the transactions newly held since the cursor to each `newPendingTransactions`
/// subscription.
async fn deliver_pending(node: &Node, out: &mpsc::Sender<Message>, subs: &mut Subscriptions) -> Result<(), ()> {
    let (hashes, next) = node.events().pending_since(subs.pending_cursor, MAX_HASHES_PER_POLL);
    subs.pending_cursor = next;
    for hash in &hashes {
        for (id, kind) in &subs.by_id {
            if matches!(kind, Kind::Pending) {
                send(out, notification(*id, hash)).await?;
            }
        }
    }
    Ok(())
}
