/*
 * The single input of bindgen (see build.rs).
 *
 * Rust sees only the shim's contract (shim.h): every pppd symbol, variadic
 * logger and version-specific data layout stays on the C side.
 */
#include "shim.h"
