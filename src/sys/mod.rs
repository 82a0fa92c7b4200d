//! Syscall wrappers: the only module besides `ffi` allowed to use `unsafe`.
#![allow(unsafe_code)]
