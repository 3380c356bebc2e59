//! Pending transactions (being written).
