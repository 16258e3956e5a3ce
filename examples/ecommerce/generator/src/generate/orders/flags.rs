//! What may happen to an order, and how often.
//!
//! A flag is one behaviour (an update, a cancellation, a late event, ...). Flags are
//! handed out per day on quota rather than by coin flips, so every behaviour shows up
//! every day in a predictable number, even at 40 orders a day.

// Business behaviours appear in clean data too; the messy ones only with `Config::mess`.
pub const UPDATE: u32 = 1;
pub const UPDATE2: u32 = 1 << 1;
pub const CANCEL: u32 = 1 << 2;
pub const REFUND_WEEKS: u32 = 1 << 3;
pub const FAIL_RETRY: u32 = 1 << 4;
pub const FAIL_ONLY: u32 = 1 << 5;
pub const NO_PAYMENT: u32 = 1 << 6;
pub const TWO_SHIP: u32 = 1 << 7;
pub const NEVER_DELIVERED: u32 = 1 << 8;
pub const SLA_UNDER: u32 = 1 << 9;
pub const SLA_OVER: u32 = 1 << 10;
pub const SLA_EXACT: u32 = 1 << 11;
pub const MIDNIGHT: u32 = 1 << 12;
pub const CARRIER_CHANGE: u32 = 1 << 13;
pub const LATE_ORDER: u32 = 1 << 14;
pub const LATE_PAYMENT: u32 = 1 << 15;
pub const LATE_SHIPMENT: u32 = 1 << 16;
pub const PRE_CREATED: u32 = 1 << 17;
pub const MISSING_CREATED: u32 = 1 << 18;
pub const OUT_OF_ORDER: u32 = 1 << 19;
pub const SAME_INSTANT: u32 = 1 << 20;
pub const DUP_ORDER: u32 = 1 << 21;
pub const DUP_PAYMENT: u32 = 1 << 22;
pub const DUP_SHIPMENT: u32 = 1 << 23;
pub const DOUBLE_DELIVERED: u32 = 1 << 24;

pub const SLA: u32 = SLA_UNDER | SLA_OVER | SLA_EXACT;

/// Groups of (flag, share of the day's orders), and whether the group is messy-only.
/// Each flag goes to `max(1, round(share * orders))` distinct orders of every day, and
/// the flags of one group go to disjoint orders (they exclude each other), so quotas hold
/// exactly and every behaviour shows up every day even at 40 orders a day.
pub const GROUPS: &[(&[(u32, f64)], bool)] = &[
    (
        &[
            (CANCEL, 0.06),
            (REFUND_WEEKS, 0.04),
            (SLA_UNDER, 0.02),
            (SLA_OVER, 0.02),
            (SLA_EXACT, 0.01),
            (TWO_SHIP, 0.03),
            (NEVER_DELIVERED, 0.04),
            (FAIL_ONLY, 0.02),
            (NO_PAYMENT, 0.02),
        ],
        false,
    ),
    (&[(UPDATE, 0.15), (UPDATE2, 0.04)], false),
    (&[(FAIL_RETRY, 0.03)], false),
    (&[(MIDNIGHT, 0.10)], false),
    (&[(CARRIER_CHANGE, 0.02)], false),
    (
        &[
            (MISSING_CREATED, 0.01),
            (PRE_CREATED, 0.02),
            (OUT_OF_ORDER, 0.02),
            (SAME_INSTANT, 0.01),
        ],
        true,
    ),
    (&[(LATE_ORDER, 0.04)], true),
    (&[(LATE_PAYMENT, 0.03)], true),
    (&[(LATE_SHIPMENT, 0.03)], true),
    (&[(DUP_ORDER, 0.03)], true),
    (&[(DUP_PAYMENT, 0.02)], true),
    (&[(DUP_SHIPMENT, 0.02)], true),
    (&[(DOUBLE_DELIVERED, 0.01)], true),
];

/// Settles the few combinations across groups that cannot happen together.
pub fn resolve(mut f: u32) -> u32 {
    if f & (MISSING_CREATED | PRE_CREATED) != 0 {
        // The order's update and payment must arrive on time to arrive before (or
        // without) their order_created.
        f &= !(LATE_ORDER | LATE_PAYMENT | NO_PAYMENT);
    }
    if f & SLA != 0 {
        f &= !DOUBLE_DELIVERED;
    }
    f
}
