//! PRECIS string preparation (RFC 8264).
#![no_std]
#![forbid(unsafe_code)]
