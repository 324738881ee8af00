//! The install's HMAC key: a 0600 file created exactly once under a file lock.
