//! The poll(2) driver (owned by the sys track).
