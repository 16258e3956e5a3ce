//! Customer master data and its history (the input of `dw.dim_customer`, SCD type 2).
//!
//! The whole customer timeline is planned up front (it is small): a signup export per
//! customer, then, for a share of them, real changes (country, segment or a new address)
//! and unchanged re-exports that only differ in formatting (mixed case, spaces). Orders
//! then pick a customer that has already signed up, which is how "a customer's first
//! export precedes the customer's first order" holds by construction. Each export lands
//! in the folder of the UTC date of its `updated_at`, never late.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::index::sample;

use super::Plan;
use super::sink::{Sink, Src};
use super::time::{self, DAY, HOUR, Offset};

/// Countries customers live in, with the VAT rate used for `tax_amount` (percent).
pub const COUNTRIES: [(&str, i64); 16] = [
    ("US", 8),
    ("GB", 20),
    ("DE", 19),
    ("FR", 20),
    ("ES", 21),
    ("IT", 22),
    ("NL", 21),
    ("IN", 18),
    ("NP", 13),
    ("AU", 10),
    ("JP", 10),
    ("BR", 17),
    ("CA", 5),
    ("NZ", 15),
    ("MX", 16),
    ("KI", 12),
];

const SEGMENTS: [&str; 3] = ["consumer", "smb", "enterprise"];
const FIRST: [&str; 16] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil",
];
const LAST: [&str; 12] = [
    "smith", "jones", "garcia", "muller", "rossi", "tanaka", "singh", "silva", "martin", "kim",
    "nguyen", "shrestha",
];
const DOMAINS: [&str; 5] = [
    "example.com",
    "mail.example.org",
    "shop.example.net",
    "corp.example",
    "inbox.test",
];

#[derive(Debug, Clone, Copy)]
struct Export {
    ts: i64,
    email: u8,
    country: u8,
    segment: u8,
}

#[derive(Debug, Clone)]
struct Customer {
    emails: Vec<String>,
    /// Ascending by `ts`; the first one is the signup.
    exports: Vec<Export>,
}

/// The planned customers.
pub struct Customers {
    list: Vec<Customer>,
    /// (signup instant, customer index), ascending.
    by_signup: Vec<(i64, u32)>,
}

enum Change {
    Country,
    Segment,
    Email,
    None,
}

impl Customers {
    /// Plans `n` customers (at least one) and their history.
    pub fn plan(plan: &Plan, n: u32) -> Self {
        let n = n.max(1) as usize;
        let mut rng = plan.rng(1, 0);
        let end = plan.orders_end_ts();
        let mut list = Vec::with_capacity(n);
        for i in 0..n {
            let first = FIRST[rng.random_range(0..FIRST.len())];
            let last = LAST[rng.random_range(0..LAST.len())];
            let domain = DOMAINS[rng.random_range(0..DOMAINS.len())];
            // Customer 0 and about 30% more come from the initial load, in the first 20
            // minutes of day one; orders start at 00:30 on that day.
            let signup = if i == 0 || rng.random_bool(0.3) {
                plan.start_ts + rng.random_range(0..1_200)
            } else {
                plan.start_ts + rng.random_range(0..(end - plan.start_ts - HOUR).max(1))
            };
            let segment = match rng.random_range(0..10) {
                0..=6 => 0,
                7 | 8 => 1,
                _ => 2,
            };
            list.push(Customer {
                emails: vec![format!("{first}.{last}{}@{domain}", i + 1)],
                exports: vec![Export {
                    ts: signup,
                    email: 0,
                    country: rng.random_range(0..COUNTRIES.len()) as u8,
                    segment,
                }],
            });
        }

        // Later exports: real changes for a quarter of the customers (at least six), unchanged
        // re-exports for a sixth (at least five).
        let mut later: Vec<Vec<(i64, Change)>> = (0..n).map(|_| Vec::new()).collect();
        // Only customers who signed up early enough to change before orders stop; the kind
        // of change cycles so that each kind is there even with few customers.
        let eligible: Vec<usize> = (0..n)
            .filter(|&c| list[c].exports[0].ts + 2 * HOUR < end - DAY / 2)
            .collect();
        let changes = (n / 4).max(6).min(eligible.len());
        for (k, i) in sample(&mut rng, eligible.len(), changes)
            .into_iter()
            .enumerate()
        {
            let c = eligible[i];
            let times = if rng.random_bool(0.3) { 2 } else { 1 };
            for j in 0..times {
                if let Some(ts) = later_instant(&mut rng, list[c].exports[0].ts, end) {
                    let kind = match (k + j) % 5 {
                        0 | 1 => Change::Country,
                        2 | 3 => Change::Segment,
                        _ => Change::Email,
                    };
                    later[c].push((ts, kind));
                }
            }
        }
        let reexports = (n / 6).max(5).min(eligible.len());
        for i in sample(&mut rng, eligible.len(), reexports) {
            let c = eligible[i];
            if let Some(ts) = later_instant(&mut rng, list[c].exports[0].ts, end) {
                later[c].push((ts, Change::None));
            }
        }
        for (c, mut events) in later.into_iter().enumerate() {
            events.sort_by_key(|e| e.0);
            for (ts, kind) in events {
                let customer = &mut list[c];
                let mut next = *customer.exports.last().expect("signup export");
                next.ts = ts;
                match kind {
                    Change::Country => {
                        let shift = rng.random_range(1..COUNTRIES.len()) as u8;
                        next.country = (next.country + shift) % COUNTRIES.len() as u8;
                    }
                    Change::Segment => {
                        next.segment = (next.segment + rng.random_range(1..3)) % 3;
                    }
                    Change::Email => {
                        let base = &customer.emails[0];
                        let local = base.split('@').next().unwrap_or("x");
                        let domain = DOMAINS[rng.random_range(0..DOMAINS.len())];
                        let k = customer.emails.len();
                        customer.emails.push(format!("{local}.{k}@{domain}"));
                        next.email = k as u8;
                    }
                    Change::None => {}
                }
                customer.exports.push(next);
            }
        }

        let mut by_signup: Vec<(i64, u32)> = list
            .iter()
            .enumerate()
            .map(|(i, c)| (c.exports[0].ts, i as u32))
            .collect();
        by_signup.sort_unstable();
        Customers { list, by_signup }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// A random customer that signed up strictly before `ts`.
    pub fn pick(&self, rng: &mut StdRng, ts: i64) -> u32 {
        let available = self.by_signup.partition_point(|&(s, _)| s < ts).max(1);
        self.by_signup[rng.random_range(0..available)].1
    }

    /// (address, country index) of customer `c` as known at `ts`.
    pub fn attrs_at(&self, c: u32, ts: i64) -> (&str, usize) {
        let customer = &self.list[c as usize];
        let i = customer
            .exports
            .partition_point(|e| e.ts <= ts)
            .saturating_sub(1);
        let e = customer.exports[i];
        (&customer.emails[e.email as usize], e.country as usize)
    }

    /// Pushes every export into the `customers` buckets, one daily file per UTC date.
    pub fn write_exports(&self, plan: &Plan, sink: &mut Sink) {
        let mut rng = plan.rng(2, 0);
        let total: usize = self.list.iter().map(|c| c.exports.len()).sum();
        // In messy mode some rows appear twice in their file (identical duplicates).
        let mut dup = vec![false; total];
        if plan.mess && total > 0 {
            let k = (total / 25).max(plan.days as usize).min(total);
            for i in sample(&mut rng, total, k) {
                dup[i] = true;
            }
        }
        let mut line = String::with_capacity(128);
        let mut flat = 0;
        for (c, customer) in self.list.iter().enumerate() {
            for e in &customer.exports {
                line.clear();
                line.push_str(&customer_id(c as u32));
                line.push(',');
                push_email(&mut line, &customer.emails[e.email as usize], &mut rng);
                line.push(',');
                push_country(&mut line, COUNTRIES[e.country as usize].0, &mut rng, true);
                line.push(',');
                line.push_str(SEGMENTS[e.segment as usize]);
                if rng.random_bool(0.05) {
                    line.push(' ');
                }
                line.push(',');
                time::push_rfc3339(&mut line, e.ts, Offset::random(&mut rng));
                let date = time::date_of(e.ts);
                sink.push(Src::Customers, date, e.ts, &line, false);
                if dup[flat] {
                    sink.push_duplicate(Src::Customers, date, e.ts, &line, false);
                }
                flat += 1;
            }
        }
    }
}

/// A random instant at least an hour after `after` and at least an hour before `end`.
fn later_instant(rng: &mut StdRng, after: i64, end: i64) -> Option<i64> {
    let lo = after + HOUR;
    let hi = end - HOUR;
    (lo < hi).then(|| rng.random_range(lo..hi))
}

/// `C000042` for customer index 41.
pub fn customer_id(c: u32) -> String {
    format!("C{:06}", c + 1)
}

/// Appends an address the way humans and systems mangle it: mixed case, spaces around.
pub fn push_email(out: &mut String, base: &str, rng: &mut StdRng) {
    match rng.random_range(0..10) {
        0..=3 => out.push_str(base),
        4 | 5 => push_title(out, base),
        6 => {
            let (local, domain) = base.split_once('@').unwrap_or((base, ""));
            out.push_str(local);
            out.push('@');
            out.push_str(&domain.to_ascii_uppercase());
        }
        7 => out.push_str(&base.to_ascii_uppercase()),
        8 => {
            out.push_str("  ");
            out.push_str(base);
            out.push(' ');
        }
        _ => {
            push_title(out, base);
            out.push(' ');
        }
    }
}

/// Upper-cases the first letter of every dot-separated word: `Alice.Smith1@Example.com`.
fn push_title(out: &mut String, s: &str) {
    let mut up = true;
    for ch in s.chars() {
        if up {
            out.push(ch.to_ascii_uppercase());
        } else {
            out.push(ch);
        }
        up = matches!(ch, '.' | '@');
    }
}

/// Appends a country code in a random letter case (and, if allowed, with stray spaces).
pub fn push_country(out: &mut String, code: &str, rng: &mut StdRng, spaces: bool) {
    let variant = rng.random_range(0..if spaces { 10 } else { 8 });
    match variant {
        0..=3 => out.push_str(code),
        4 | 5 => out.push_str(&code.to_ascii_lowercase()),
        6 | 7 => {
            let mut chars = code.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
        8 => {
            out.push(' ');
            out.push_str(&code.to_ascii_lowercase());
        }
        _ => {
            out.push_str(code);
            out.push(' ');
        }
    }
}
