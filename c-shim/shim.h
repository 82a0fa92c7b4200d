/*
 * The contract between the C shim (shim.c) and the Rust plugin (src/ffi).
 *
 * The shim owns everything pppd writes into or reads by layout: the option
 * table and its value slots, the `struct channel`, pppd's LCP/IPCP/CCP
 * option records and pppd's variadic loggers. It offers Rust one API that is
 * the same for pppd 2.4.9 and 2.5.x. Rust owns the plugin's logic and hands
 * the shim a table of callbacks at plugin_init; the shim never calls into
 * Rust by symbol name, so the plugin exports nothing but `plugin_init` and
 * `pppd_version`.
 *
 * This header must stay free of pppd types: bindgen reads it alone.
 */
#ifndef RS_PPPOE_SHIM_H
#define RS_PPPOE_SHIM_H

#include <stddef.h>

/* Log levels of rs_shim_log, mapped onto pppd's dbglog/info/notice/warn/error. */
enum rs_log_level {
    RS_LOG_DEBUG = 0,
    RS_LOG_INFO = 1,
    RS_LOG_NOTICE = 2,
    RS_LOG_WARN = 3,
    RS_LOG_ERROR = 4,
};

/* The plugin options exactly as pppd stored them; NULL = not given. The
 * integers are whatever pppd's number parser made of the words (the table
 * sets no limits, as upstream's does not); src/plugin/options.rs decides
 * what to take, clamp or refuse. The strings belong to pppd and stay valid
 * until the next option parse. */
struct rs_raw_options {
    const char *service;
    const char *ac_name;
    const char *existing_session;
    const char *ac_mac;
    const char *host_uniq;
    int verbose;
    int padi_timeout;
    int padi_attempts;
};

/* pppd's LCP MRU settings: `want_mru` is what we ask the peer to send us
 * (pppd's `mru` option), `allow_mtu` the largest MRU we accept from the
 * peer, i.e. our MTU (pppd's `mtu` option). */
struct rs_lcp_mru {
    int want_mru;
    int allow_mtu;
};

/* Callbacks implemented in Rust. None of them may unwind. */
struct rs_callbacks {
    /* The device-name hook. `doit` 0 = "is this word ours?", 1 = "take it".
     * Returns pppd's hook result (1 = ours / taken, 0 = not ours or failed).
     * On success with doit=1 the interface name is written, NUL-terminated,
     * to ifname_out (capacity ifname_cap). */
    int (*device_word)(const char *word, int doit, char *ifname_out, size_t ifname_cap);
    /* Validate the collected options. 1 = fine, 0 = an option error was
     * reported (the shim then exits with pppd's option-error status). */
    int (*check_options)(const struct rs_raw_options *options, const char *ifname);
    /* Discovery + session socket: the connected AF_PPPOX fd, or -1. */
    int (*connect)(void);
    /* Tear the session down (PADT, socket close). */
    void (*disconnect)(void);
};

/* --- Implemented by the shim, called from Rust ------------------------ */

/* Registers the callbacks and the option table, checks kernel PPP support
 * (fatal if missing, as the reference plugin) and logs `banner` at info. */
void rs_shim_plugin_init(const struct rs_callbacks *callbacks, const char *banner);
/* The version string of the headers the shim was compiled against. */
const char *rs_shim_pppd_version(void);

void rs_shim_log(enum rs_log_level level, const char *message);
/* pppd's option_error: stderr while parsing options, plus syslog. */
void rs_shim_option_error(const char *message);

void rs_shim_set_ppp_devnam(const char *name);
void rs_shim_set_remote_number(const char *number);
void rs_shim_set_session_number(int number);
void rs_shim_script_setenv(const char *name, const char *value);

struct rs_lcp_mru rs_shim_get_lcp_mru(void);
void rs_shim_set_lcp_mru(struct rs_lcp_mru mru);

/* 1 once pppd has received SIGTERM (or SIGINT): give up discovery. */
int rs_shim_sigterm_seen(void);
/* 1 when pppd's `debug` option is on. */
int rs_shim_debug_on(void);

#endif
