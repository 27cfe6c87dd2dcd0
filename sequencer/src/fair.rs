//! Fair shares of what clients share (docs/api.md §5, "Fair shares").
//!
//! A client is its address ([`Client`]). What a client used lately is its [`Usage`]: an amount
//! that halves every [`USAGE_HALF_LIFE`]. Pools that clients wait for ([`FairSlots`]: the call
//! threads, the query slots) give a free slot to the waiting client that holds the fewest slots
//! now, then to the one that used the least lately: a client that asks rarely is served next
//! whatever others keep asking for, and one address, or many acting together, only get what
//! lighter clients leave. A client may hold at most a share of the slots and keep a bounded
//! number of requests waiting; when every waiting place is taken, a newcomer takes the place
//! of the heaviest client's newest waiter if that client is heavier than itself.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::sync::oneshot;

/// The client a request is counted against: its address (the peer's, or the one a trusted
/// proxy forwarded) and whether the per-address limits apply to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Client {
    /// The client's address.
    pub ip: IpAddr,
    /// Whether the per-address limits apply (not to 127.0.0.1 and ::1 unless configured).
    pub limited: bool,
}

impl Client {
    /// The node's own callers and in-process components: loopback, not limited.
    pub const LOCAL: Self = Self { ip: IpAddr::V4(Ipv4Addr::LOCALHOST), limited: false };
}

/// Time in which what a client used counts for half.
pub const USAGE_HALF_LIFE: Duration = Duration::from_secs(10);

/// Clients whose usage is tracked at once; past it, the lightest are forgotten.
const MAX_TRACKED: usize = 65_536;

/// What each client used lately, each amount halving every [`USAGE_HALF_LIFE`], and their sum.
#[derive(Debug)]
pub struct Usage {
    clients: HashMap<IpAddr, (f64, Instant)>,
    total: (f64, Instant),
}

impl Default for Usage {
    fn default() -> Self {
        Self { clients: HashMap::new(), total: (0.0, Instant::now()) }
    }
}

/// `amount` measured at `at`, seen at `now`.
fn decayed(amount: f64, at: Instant, now: Instant) -> f64 {
    let halvings = now.saturating_duration_since(at).as_secs_f64() / USAGE_HALF_LIFE.as_secs_f64();
    amount * (-halvings).exp2()
}

impl Usage {
    /// What `ip` used lately, as of `now`.
    pub fn get(&self, ip: &IpAddr, now: Instant) -> f64 {
        self.clients.get(ip).map_or(0.0, |(v, at)| decayed(*v, *at, now))
    }

    /// `ip` used `amount` more.
    pub fn add(&mut self, ip: IpAddr, amount: f64, now: Instant) {
        if self.clients.len() >= MAX_TRACKED && !self.clients.contains_key(&ip) {
            self.forget(now);
        }
        let entry = self.clients.entry(ip).or_insert((0.0, now));
        *entry = (decayed(entry.0, entry.1, now) + amount, now);
        self.total = (decayed(self.total.0, self.total.1, now) + amount, now);
    }

    /// The sum of every client's usage, and the number of clients tracked (those that used
    /// anything within about the last minute).
    pub fn totals(&mut self, now: Instant) -> (f64, usize) {
        if self.clients.len() > 64 {
            // Drop who used next to nothing lately, so that the count is of active clients.
            let floor = decayed(self.total.0, self.total.1, now) * 1e-4;
            self.clients.retain(|_, (v, at)| decayed(*v, *at, now) > floor);
        }
        (decayed(self.total.0, self.total.1, now), self.clients.len())
    }

    /// Forgets the lighter half of the clients.
    fn forget(&mut self, now: Instant) {
        let mut amounts: Vec<f64> = self.clients.values().map(|(v, at)| decayed(*v, *at, now)).collect();
        let middle = amounts.len() / 2;
        amounts.select_nth_unstable_by(middle, f64::total_cmp);
        let median = amounts[middle];
        self.clients.retain(|_, (v, at)| decayed(*v, *at, now) > median);
    }
}

/// The bounds of a [`FairSlots`] pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotLimits {
    /// Slots: work running at once.
    pub slots: usize,
    /// Slots one limited client may hold at once.
    pub per_client: usize,
    /// Requests waiting for a slot at once, over all clients.
    pub waiting: usize,
    /// Requests of one limited client waiting at once.
    pub waiting_per_client: usize,
}

/// Why a slot was not given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    /// The client already has as many requests waiting as it may.
    #[error("this address has {held} {what} running and {waiting} waiting, the most it may; retry once one ends")]
    ClientBusy {
        /// What the pool runs.
        what: &'static str,
        /// Slots the client holds.
        held: usize,
        /// Its requests waiting.
        waiting: usize,
    },
    /// Every waiting place is taken by clients that used less lately (or this request's place
    /// was given to one).
    #[error("the node is running and queueing as many {what} as it takes; retry later")]
    Full {
        /// What the pool runs.
        what: &'static str,
    },
    /// The request's time ran out while it waited.
    #[error("no {what} slot came free within the request's time ({waited_ms} ms)")]
    Timeout {
        /// What the pool runs.
        what: &'static str,
        /// How long it waited.
        waited_ms: u64,
    },
}

/// A pool of slots handed to waiting clients fairly (the module's rules).
#[derive(Debug)]
pub struct FairSlots {
    what: &'static str,
    limits: SlotLimits,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    free: usize,
    held: HashMap<IpAddr, usize>,
    waiting: Vec<Waiter>,
    usage: Usage,
    next_ticket: u64,
}

#[derive(Debug)]
struct Waiter {
    client: Client,
    ticket: u64,
    wake: oneshot::Sender<SlotPermit>,
}

impl Inner {
    fn held(&self, ip: &IpAddr) -> usize {
        self.held.get(ip).copied().unwrap_or(0)
    }

    fn may_hold(&self, client: &Client, limits: &SlotLimits) -> bool {
        !client.limited || self.held(&client.ip) < limits.per_client.max(1)
    }

    /// How heavy `client` is now: the slots it holds, then what it used lately.
    fn weight(&self, client: &Client, now: Instant) -> (usize, f64) {
        (self.held(&client.ip), self.usage.get(&client.ip, now))
    }

    fn hold(&mut self, ip: IpAddr) {
        self.free -= 1;
        *self.held.entry(ip).or_insert(0) += 1;
    }

    fn unhold(&mut self, ip: &IpAddr) {
        self.free += 1;
        if let Some(n) = self.held.get_mut(ip) {
            *n -= 1;
            if *n == 0 {
                self.held.remove(ip);
            }
        }
    }

    /// The waiter to serve next: of those whose client may hold one more slot, the lightest,
    /// then the earliest.
    fn next(&self, limits: &SlotLimits, now: Instant) -> Option<usize> {
        self.waiting
            .iter()
            .enumerate()
            .filter(|(_, w)| self.may_hold(&w.client, limits))
            .min_by(|(_, a), (_, b)| {
                let (wa, wb) = (self.weight(&a.client, now), self.weight(&b.client, now));
                wa.0.cmp(&wb.0).then(wa.1.total_cmp(&wb.1)).then(a.ticket.cmp(&b.ticket))
            })
            .map(|(i, _)| i)
    }
}

impl FairSlots {
    /// A pool of `limits.slots` slots for `what` (named in errors: "calls", "queries").
    pub fn new(what: &'static str, limits: SlotLimits) -> Arc<Self> {
        let inner = Inner {
            free: limits.slots.max(1),
            held: HashMap::new(),
            waiting: Vec::new(),
            usage: Usage::default(),
            next_ticket: 0,
        };
        Arc::new(Self { what, limits, inner: Mutex::new(inner) })
    }

    /// The bounds.
    pub const fn limits(&self) -> SlotLimits {
        self.limits
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Slots free now, and requests waiting.
    pub fn load(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.free, inner.waiting.len())
    }

    /// A slot for `client`, now if one is free and the client may hold one more, else once the
    /// module's rules give it one, until `deadline`.
    pub async fn acquire(self: &Arc<Self>, client: Client, deadline: Instant) -> Result<SlotPermit, SlotError> {
        let started = Instant::now();
        let (ticket, woken) = {
            let mut inner = self.lock();
            if inner.free > 0 && inner.may_hold(&client, &self.limits) && inner.next(&self.limits, started).is_none() {
                inner.hold(client.ip);
                return Ok(self.permit(client));
            }
            let mine = inner.waiting.iter().filter(|w| w.client.ip == client.ip).count();
            if client.limited && mine >= self.limits.waiting_per_client.max(1) {
                return Err(SlotError::ClientBusy { what: self.what, held: inner.held(&client.ip), waiting: mine });
            }
            if inner.waiting.len() >= self.limits.waiting.max(1) {
                // Room is made by the heaviest client's newest waiter, if heavier than this one.
                let me = inner.weight(&client, started);
                let heaviest = inner
                    .waiting
                    .iter()
                    .enumerate()
                    .max_by(|(_, a), (_, b)| {
                        let (wa, wb) = (inner.weight(&a.client, started), inner.weight(&b.client, started));
                        wa.0.cmp(&wb.0).then(wa.1.total_cmp(&wb.1)).then(a.ticket.cmp(&b.ticket))
                    })
                    .map(|(i, w)| (i, inner.weight(&w.client, started)));
                match heaviest {
                    Some((i, weight)) if weight.0 > me.0 || (weight.0 == me.0 && weight.1 > me.1) => {
                        // Its waiter sees its sender dropped: `Full`.
                        inner.waiting.swap_remove(i);
                    }
                    _ => return Err(SlotError::Full { what: self.what }),
                }
            }
            let ticket = inner.next_ticket;
            inner.next_ticket += 1;
            let (wake, woken) = oneshot::channel();
            inner.waiting.push(Waiter { client, ticket, wake });
            (ticket, woken)
        };
        match tokio::time::timeout_at(deadline.into(), woken).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(SlotError::Full { what: self.what }),
            Err(_) => {
                // A slot handed over at the same moment comes back when the receiver (holding
                // it) is dropped here.
                let mut inner = self.lock();
                if let Some(i) = inner.waiting.iter().position(|w| w.ticket == ticket) {
                    inner.waiting.swap_remove(i);
                }
                Err(SlotError::Timeout { what: self.what, waited_ms: started.elapsed().as_millis() as u64 })
            }
        }
    }

    fn permit(self: &Arc<Self>, client: Client) -> SlotPermit {
        SlotPermit { pool: Some(self.clone()), client, since: Instant::now() }
    }

    /// `client`'s slot came free after `held`: charged to it, and handed on.
    fn release(self: &Arc<Self>, client: Client, held: Duration) {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.usage.add(client.ip, held.as_secs_f64() * 1_000.0, now);
        inner.unhold(&client.ip);
        while inner.free > 0 {
            let Some(i) = inner.next(&self.limits, now) else { break };
            let waiter = inner.waiting.swap_remove(i);
            inner.hold(waiter.client.ip);
            if let Err(mut permit) = waiter.wake.send(self.permit(waiter.client)) {
                // Its request is gone: the slot stays here, without a second release.
                permit.pool = None;
                inner.unhold(&waiter.client.ip);
            }
        }
    }
}

/// A slot of a [`FairSlots`] pool, held until dropped; the time it was held is charged to its
/// client.
#[derive(Debug)]
pub struct SlotPermit {
    pool: Option<Arc<FairSlots>>,
    client: Client,
    since: Instant,
}

impl Drop for SlotPermit {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            pool.release(self.client, self.since.elapsed());
        }
    }
}

/// A rate per second with a burst of twice as much, per client address: what a client may
/// spend of something (requests, transactions, bytes, work units) before it waits.
#[derive(Debug)]
pub struct Buckets {
    rate: f64,
    clients: HashMap<IpAddr, (f64, Instant)>,
}

impl Buckets {
    /// Buckets refilled at `rate` per second, each holding at most `2 × rate`; a rate of 0
    /// never limits.
    pub fn new(rate: u64) -> Self {
        Self { rate: rate as f64, clients: HashMap::new() }
    }

    /// The rate per second (0: no limit).
    pub fn rate(&self) -> u64 {
        self.rate as u64
    }

    fn burst(&self) -> f64 {
        2.0 * self.rate
    }

    /// `ip`'s bucket refilled up to `now`.
    fn level(&mut self, ip: IpAddr, now: Instant) -> &mut (f64, Instant) {
        let (rate, burst) = (self.rate, self.burst());
        if self.clients.len() >= MAX_TRACKED && !self.clients.contains_key(&ip) {
            // Forget the full buckets: they are what a new bucket starts as.
            self.clients
                .retain(|_, (level, at)| *level + now.saturating_duration_since(*at).as_secs_f64() * rate < burst);
        }
        let bucket = self.clients.entry(ip).or_insert((burst, now));
        bucket.0 = (bucket.0 + now.saturating_duration_since(bucket.1).as_secs_f64() * rate).min(burst);
        bucket.1 = now;
        bucket
    }

    /// Whether `ip` may spend `amount` now: `Err(seconds)` to wait until it may (at least 1)
    /// when it has less. Nothing is spent.
    pub fn check(&mut self, ip: IpAddr, amount: u64, now: Instant) -> Result<(), u64> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let rate = self.rate;
        let level = self.level(ip, now).0;
        if level >= amount as f64 || level >= self.burst() {
            Ok(())
        } else {
            Err(((amount as f64 - level) / rate).ceil().max(1.0) as u64)
        }
    }

    /// Spends `amount` of `ip`'s bucket, which may go below zero (work charged after it was
    /// done): the client then waits until it is refilled.
    pub fn spend(&mut self, ip: IpAddr, amount: u64, now: Instant) {
        if self.rate > 0.0 {
            self.level(ip, now).0 -= amount as f64;
        }
    }

    /// Spends up to `amount` of what `ip` has (whole units): how much it could.
    pub fn take_up_to(&mut self, ip: IpAddr, amount: u64, now: Instant) -> u64 {
        if self.rate <= 0.0 {
            return amount;
        }
        let bucket = self.level(ip, now);
        let taken = (bucket.0.max(0.0).floor() as u64).min(amount);
        bucket.0 -= taken as f64;
        taken
    }
}

/// An address range in CIDR notation (`10.0.0.0/8`, `::1/128`, or an address alone): where
/// the trusted reverse proxies are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is in the range (an IPv4-mapped IPv6 address counts as its IPv4 one).
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let ip = canonical(*ip);
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| format!("{s:?} is not an IP address or a CIDR range"))?;
        let addr = canonical(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Self { addr, prefix })
    }
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client behind a request that reached the node from `peer`: `peer` itself, unless it is
/// one of the `trusted` proxies, in which case the address those proxies forwarded: the
/// right-most entry of `X-Forwarded-For` (or `for=` of `Forwarded`) that is not itself a
/// trusted proxy. A trusted proxy that forwarded nothing, or something unreadable, is the
/// client.
pub fn forwarded_client(peer: IpAddr, trusted: &[IpNet], headers: &axum::http::HeaderMap) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return peer;
    }
    let mut hops: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("forwarded") {
        let Ok(value) = value.to_str() else { return peer };
        for element in value.split(',') {
            for pair in element.split(';') {
                if let Some((key, v)) = pair.trim().split_once('=')
                    && key.trim().eq_ignore_ascii_case("for")
                {
                    match parse_forwarded_node(v) {
                        Some(ip) => hops.push(ip),
                        None => return peer,
                    }
                }
            }
        }
    }
    if hops.is_empty() {
        for value in headers.get_all("x-forwarded-for") {
            let Ok(value) = value.to_str() else { return peer };
            for hop in value.split(',') {
                match hop.trim().parse::<IpAddr>() {
                    Ok(ip) => hops.push(canonical(ip)),
                    Err(_) => return peer,
                }
            }
        }
    }
    // From the nearest hop outwards, the first one no trusted proxy stands for.
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !trusted.iter().any(|net| net.contains(&hop)) {
            break;
        }
    }
    client
}

/// The address of a `Forwarded` node: `1.2.3.4`, `"[2001:db8::1]:4711"`, `"1.2.3.4:80"`.
fn parse_forwarded_node(v: &str) -> Option<IpAddr> {
    let v = v.trim().trim_matches('"');
    let host = if let Some(rest) = v.strip_prefix('[') {
        rest.split_once(']')?.0
    } else {
        v.split_once(':').map_or(v, |(h, _)| h)
    };
    host.parse().ok().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(last: u8) -> Client {
        Client { ip: IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)), limited: true }
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn usage_halves_every_half_life_and_sums() {
        let mut usage = Usage::default();
        let t0 = Instant::now();
        let ip = client(2).ip;
        usage.add(ip, 100.0, t0);
        usage.add(client(3).ip, 50.0, t0);
        assert!((usage.get(&ip, t0 + USAGE_HALF_LIFE) - 50.0).abs() < 1e-6);
        assert!((usage.get(&ip, t0 + 2 * USAGE_HALF_LIFE) - 25.0).abs() < 1e-6);
        let (total, n) = usage.totals(t0 + USAGE_HALF_LIFE);
        assert!((total - 75.0).abs() < 1e-6);
        assert_eq!(n, 2);
        assert_eq!(usage.get(&client(9).ip, t0), 0.0);
    }

    #[test]
    fn usage_forgets_the_lighter_half_past_its_bound() {
        let mut usage = Usage::default();
        let now = Instant::now();
        for i in 0..MAX_TRACKED as u32 {
            usage.add(IpAddr::V4(Ipv4Addr::from(i)), f64::from(i), now);
        }
        let heavy = IpAddr::V4(Ipv4Addr::from(MAX_TRACKED as u32 - 1));
        usage.add(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 1.0, now);
        assert!(usage.clients.len() <= MAX_TRACKED / 2 + 1);
        assert!(usage.get(&heavy, now) > 0.0, "the heaviest are kept");
    }

    #[tokio::test]
    async fn a_light_client_is_served_before_a_heavy_one_that_waited_longer() {
        let pool = FairSlots::new("calls", SlotLimits { slots: 1, per_client: 1, waiting: 16, waiting_per_client: 8 });
        let (heavy, light) = (client(2), client(3));
        // The heavy client used the slot for a while.
        let first = pool.acquire(heavy, soon()).await.expect("free");
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(first);
        let running = pool.acquire(heavy, soon()).await.expect("free again");
        let queued_heavy = tokio::spawn({
            let pool = pool.clone();
            async move { pool.acquire(heavy, soon()).await.map(|p| (Instant::now(), p)) }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let queued_light = tokio::spawn({
            let pool = pool.clone();
            async move { pool.acquire(light, soon()).await.map(|p| (Instant::now(), p)) }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(pool.load(), (0, 2));
        drop(running);
        let (light_at, light_permit) = queued_light.await.expect("joined").expect("served");
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(light_permit);
        let (heavy_at, _heavy_permit) = queued_heavy.await.expect("joined").expect("served");
        assert!(light_at < heavy_at, "the light client went first");
    }

    #[tokio::test]
    async fn one_client_holds_at_most_its_share_and_waits_within_its_bound() {
        let pool = FairSlots::new("calls", SlotLimits { slots: 4, per_client: 2, waiting: 16, waiting_per_client: 2 });
        let attacker = client(2);
        let a = pool.acquire(attacker, soon()).await.expect("first");
        let b = pool.acquire(attacker, soon()).await.expect("second");
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.acquire(attacker, soon()).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(10)).await;
        // Two slots are free, but not for it; its third waiter is refused.
        assert_eq!(pool.load(), (2, 2));
        let refused = pool.acquire(attacker, soon()).await.expect_err("over its waiting bound");
        assert_eq!(refused, SlotError::ClientBusy { what: "calls", held: 2, waiting: 2 });
        // Another client gets a free slot at once.
        let honest = pool.acquire(client(3), Instant::now()).await.expect("a free slot");
        drop((a, b, honest));
        for w in waiting {
            drop(w.await.expect("joined").expect("served once its own slots ended"));
        }
        assert_eq!(pool.load(), (4, 0));
    }

    #[tokio::test]
    async fn a_newcomer_takes_the_place_of_the_heaviest_waiter_when_the_queue_is_full() {
        let pool = FairSlots::new("queries", SlotLimits { slots: 1, per_client: 1, waiting: 2, waiting_per_client: 2 });
        let (heavy, light) = (client(2), client(3));
        let running = pool.acquire(heavy, soon()).await.expect("free");
        let queued: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.acquire(heavy, soon()).await.map(drop) })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(10)).await;
        let light_waits = tokio::spawn({
            let pool = pool.clone();
            async move { pool.acquire(light, soon()).await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let mut outcomes = Vec::new();
        for q in queued {
            if q.is_finished() {
                outcomes.push(q.await.expect("joined"));
            } else {
                q.abort();
            }
        }
        assert_eq!(outcomes, vec![Err(SlotError::Full { what: "queries" })], "one heavy waiter gave its place");
        // The heavy client cannot push the light one out in turn.
        let pushed = pool.acquire(heavy, soon()).await;
        assert!(matches!(pushed, Err(SlotError::Full { .. } | SlotError::ClientBusy { .. })), "{pushed:?}");
        drop(running);
        light_waits.await.expect("joined").expect("the light client is served");
    }

    #[tokio::test]
    async fn a_waiter_that_times_out_or_goes_away_leaves_no_slot_taken() {
        let pool = FairSlots::new("calls", SlotLimits { slots: 1, per_client: 1, waiting: 4, waiting_per_client: 4 });
        let running = pool.acquire(client(2), soon()).await.expect("free");
        let timed_out = pool.acquire(client(3), Instant::now() + Duration::from_millis(20)).await;
        assert!(matches!(timed_out, Err(SlotError::Timeout { what: "calls", .. })), "{timed_out:?}");
        let gone = tokio::spawn({
            let pool = pool.clone();
            async move { pool.acquire(client(4), soon()).await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        gone.abort();
        let _ = gone.await;
        drop(running);
        assert_eq!(pool.load(), (1, 0));
        let again = pool.acquire(client(5), Instant::now()).await;
        assert!(again.is_ok());
    }

    #[tokio::test]
    async fn unlimited_clients_have_no_share_bound() {
        let pool = FairSlots::new("calls", SlotLimits { slots: 3, per_client: 1, waiting: 4, waiting_per_client: 1 });
        let permits: Vec<_> = futures::future::join_all((0..3).map(|_| pool.acquire(Client::LOCAL, soon()))).await;
        assert!(permits.iter().all(Result::is_ok));
        assert_eq!(pool.load(), (0, 0));
    }

    #[test]
    fn buckets_refill_at_their_rate_and_hold_twice_as_much() {
        let mut b = Buckets::new(10);
        let (ip, t0) = (client(2).ip, Instant::now());
        assert_eq!(b.take_up_to(ip, 25, t0), 20, "a burst of twice the rate");
        assert_eq!(b.check(ip, 1, t0), Err(1));
        assert_eq!(b.take_up_to(ip, 25, t0 + Duration::from_millis(500)), 5);
        b.spend(ip, 30, t0 + Duration::from_millis(500));
        assert_eq!(b.check(ip, 1, t0 + Duration::from_secs(2)), Err(2), "work charged after the fact is a debt");
        assert!(b.check(ip, 1, t0 + Duration::from_secs(4)).is_ok());
        assert!(b.check(client(3).ip, 20, t0).is_ok(), "per address");
        let mut none = Buckets::new(0);
        assert_eq!(none.take_up_to(ip, 1_000_000, t0), 1_000_000);
    }

    #[test]
    fn ranges_parse_and_contain() {
        let net: IpNet = "10.1.0.0/16".parse().expect("range");
        assert!(net.contains(&"10.1.200.3".parse().expect("ip")));
        assert!(!net.contains(&"10.2.0.1".parse().expect("ip")));
        assert!(net.contains(&"::ffff:10.1.0.9".parse().expect("mapped")));
        let one: IpNet = "127.0.0.1".parse().expect("address");
        assert_eq!(one.to_string(), "127.0.0.1/32");
        let v6: IpNet = "2001:db8::/32".parse().expect("v6");
        assert!(v6.contains(&"2001:db8:1::5".parse().expect("ip")));
        assert!(!v6.contains(&"10.1.0.1".parse().expect("ip")));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("proxy".parse::<IpNet>().is_err());
        let all: IpNet = "0.0.0.0/0".parse().expect("all");
        assert!(all.contains(&"8.8.8.8".parse().expect("ip")));
    }

    #[test]
    fn a_trusted_proxy_passes_the_client_and_others_cannot() {
        use axum::http::{HeaderMap, HeaderValue};
        let trusted: Vec<IpNet> = vec!["127.0.0.1".parse().expect("net"), "10.0.0.0/8".parse().expect("net")];
        let proxy: IpAddr = "127.0.0.1".parse().expect("ip");
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("6.6.6.6, 203.0.113.7, 10.0.0.5"));
        // The right-most hop no trusted proxy stands for; what it claims before is ignored.
        assert_eq!(forwarded_client(proxy, &trusted, &headers), "203.0.113.7".parse::<IpAddr>().expect("ip"));
        // An untrusted peer is its own client whatever it says.
        let other: IpAddr = "198.51.100.1".parse().expect("ip");
        assert_eq!(forwarded_client(other, &trusted, &headers), other);
        let mut forwarded = HeaderMap::new();
        forwarded.insert("forwarded", HeaderValue::from_static("for=\"[2001:db8::7]:4711\";proto=https, for=10.0.0.9"));
        assert_eq!(forwarded_client(proxy, &trusted, &forwarded), "2001:db8::7".parse::<IpAddr>().expect("ip"));
        // Nothing forwarded, or garbage: the proxy is the client.
        assert_eq!(forwarded_client(proxy, &trusted, &HeaderMap::new()), proxy);
        let mut garbage = HeaderMap::new();
        garbage.insert("x-forwarded-for", HeaderValue::from_static("not-an-ip"));
        assert_eq!(forwarded_client(proxy, &trusted, &garbage), proxy);
    }
}
