//! Block storage (being written).
