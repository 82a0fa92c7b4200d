/*
 * The C half of rs-pppoe.so: everything pppd reaches by memory layout or
 * variadic call. See shim.h for the contract with the Rust half.
 *
 * Compiled against one pppd version's headers at a time (build.rs):
 *   - 2.4.x: data symbols (devnam, remote_number, ...), add_options, ...
 *   - 2.5.x: accessor functions (ppp_set_devnam, ...), ppp_add_options, ...
 * RS_PPPD_2_5_API is defined by build.rs when the headers carry
 * pppdconf.h; pppd.h itself defines PPPD_VERSION there, and we check that
 * the two agree below.
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */

#include <dlfcn.h>
#include <limits.h> /* PATH_MAX */
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pppd.h (2.4.9) typedefs `bool` itself: include it before anything that
 * could pull in <stdbool.h>. */
#include "pppd.h"
#ifdef RS_PPPD_2_5_API
#include "options.h"
#endif
#include "fsm.h" /* lcp.h, ipcp.h and ccp.h use its types */
#include "ccp.h"
#include "ipcp.h"
#include "lcp.h"

#include "shim.h"

#if defined(RS_PPPD_2_5_API) != defined(PPPD_VERSION)
#error "build.rs and pppd.h disagree about the pppd API generation"
#endif

#ifdef RS_PPPD_2_5_API
#define RS_HEADER_VERSION PPPD_VERSION
#else
#define RS_HEADER_VERSION VERSION
#endif

/* pppd's exit status for bad options (pppd.h: EXIT_OPTION_ERROR). */
#ifndef EXIT_OPTION_ERROR
#define EXIT_OPTION_ERROR 2
#endif

/* Both generations export this from sys-linux.c without declaring it in a
 * public header; the reference plugin declares it the same way. */
extern int new_style_driver;

/* --- State pppd writes into ---------------------------------------- */

static const struct rs_callbacks *rs_callbacks;

/* The interface name, also shown by pppd's option dump (OPT_A2STRVAL). */
static char rs_devnam[IFNAMSIZ];

/* Option value slots: pppd strdup()s string values into them and frees
 * the previous value when an option is repeated. */
static char *rs_opt_service;
static char *rs_opt_ac_name;
static char *rs_opt_existing_session;
static char *rs_opt_ac_mac;
static char *rs_opt_host_uniq;
static int rs_opt_verbose = 0;
static int rs_opt_padi_timeout = 5;
static int rs_opt_padi_attempts = 3;

static int rs_devname_hook(char *word, char **argv, int doit);

/* Names, aliases and types exactly as the upstream plugins register them
 * (pppd 2.4.9 ... 2.5.3's pppoe.so, plus rp_pppoe_mac from rp-pppoe 4.0's
 * rp-pppoe.so), so existing peer files keep working; src/plugin/options.rs
 * lists the same names (OPTION_NAMES, a test compares). No OPT_LIMITS:
 * pppd hands every number over and the Rust side decides. Mutable: pppd
 * records source, priority and winner in each entry. */
static option_t rs_options[] = {
    {"device name", o_wild, (void *)&rs_devname_hook, "PPPoE device name",
     OPT_DEVNAM | OPT_PRIVFIX | OPT_NOARG | OPT_A2STRVAL | OPT_STATIC, rs_devnam, 0, 0, NULL,
     0, 0},
    {"pppoe-service", o_string, &rs_opt_service, "Desired PPPoE service name", 0, NULL, 0, 0,
     NULL, 0, 0},
    {"rp_pppoe_service", o_string, &rs_opt_service, "Legacy alias for pppoe-service",
     OPT_ALIAS, NULL, 0, 0, NULL, 0, 0},
    {"pppoe-ac", o_string, &rs_opt_ac_name, "Desired PPPoE access concentrator name", 0,
     NULL, 0, 0, NULL, 0, 0},
    {"rp_pppoe_ac", o_string, &rs_opt_ac_name, "Legacy alias for pppoe-ac", OPT_ALIAS, NULL,
     0, 0, NULL, 0, 0},
    {"pppoe-sess", o_string, &rs_opt_existing_session,
     "Attach to existing session (sessid:macaddr)", 0, NULL, 0, 0, NULL, 0, 0},
    {"rp_pppoe_sess", o_string, &rs_opt_existing_session, "Legacy alias for pppoe-sess",
     OPT_ALIAS, NULL, 0, 0, NULL, 0, 0},
    {"pppoe-verbose", o_int, &rs_opt_verbose, "Be verbose about discovered access concentrators",
     0, NULL, 0, 0, NULL, 0, 0},
    {"rp_pppoe_verbose", o_int, &rs_opt_verbose, "Legacy alias for pppoe-verbose", OPT_ALIAS,
     NULL, 0, 0, NULL, 0, 0},
    {"pppoe-mac", o_string, &rs_opt_ac_mac, "Only connect to specified MAC address", 0, NULL,
     0, 0, NULL, 0, 0},
    {"rp_pppoe_mac", o_string, &rs_opt_ac_mac, "rp-pppoe 4.0's name for pppoe-mac", OPT_ALIAS,
     NULL, 0, 0, NULL, 0, 0},
    {"pppoe-host-uniq", o_string, &rs_opt_host_uniq, "Set the Host-Uniq to the supplied hex string",
     0, NULL, 0, 0, NULL, 0, 0},
    {"host-uniq", o_string, &rs_opt_host_uniq, "Legacy alias for pppoe-host-uniq", OPT_ALIAS,
     NULL, 0, 0, NULL, 0, 0},
    {"pppoe-padi-timeout", o_int, &rs_opt_padi_timeout, "Initial timeout for discovery packets in seconds",
     0, NULL, 0, 0, NULL, 0, 0},
    {"pppoe-padi-attempts", o_int, &rs_opt_padi_attempts, "Number of discovery attempts", 0,
     NULL, 0, 0, NULL, 0, 0},
    {NULL, 0, NULL, NULL, 0, NULL, 0, 0, NULL, 0, 0},
};

/* --- pppd's loggers ------------------------------------------------- */

/* glibc also defines `error` and `warn`; a plain reference from this
 * library could be bound to glibc's versions. Ask the dynamic linker for
 * the first definition in global scope instead, which is pppd's own (the
 * executable comes first and pppd exports its symbols). */
typedef void (*rs_pppd_logger)(char *fmt, ...);
static rs_pppd_logger rs_pppd_error;
static rs_pppd_logger rs_pppd_warn;

static void rs_resolve_loggers(void)
{
    rs_pppd_error = (rs_pppd_logger)dlsym(RTLD_DEFAULT, "error");
    rs_pppd_warn = (rs_pppd_logger)dlsym(RTLD_DEFAULT, "warn");
}

void rs_shim_log(enum rs_log_level level, const char *message)
{
    /* The message is data: it always goes through "%s". */
    switch (level) {
    case RS_LOG_DEBUG:
        dbglog("%s", message);
        break;
    case RS_LOG_INFO:
        info("%s", message);
        break;
    case RS_LOG_NOTICE:
        notice("%s", message);
        break;
    case RS_LOG_WARN:
        if (rs_pppd_warn != NULL)
            rs_pppd_warn("%s", message);
        else
            notice("%s", message);
        break;
    case RS_LOG_ERROR:
    default:
        if (rs_pppd_error != NULL)
            rs_pppd_error("%s", message);
        else
            notice("%s", message);
        break;
    }
}

void rs_shim_option_error(const char *message)
{
#ifdef RS_PPPD_2_5_API
    ppp_option_error("%s", message);
#else
    option_error("%s", message);
#endif
}

/* --- Small accessors with one signature for both generations -------- */

const char *rs_shim_pppd_version(void)
{
    return RS_HEADER_VERSION;
}

void rs_shim_set_ppp_devnam(const char *name)
{
#ifdef RS_PPPD_2_5_API
    ppp_set_pppdevnam(name);
#else
    snprintf(ppp_devnam, sizeof(ppp_devnam), "%s", name);
#endif
}

void rs_shim_set_remote_number(const char *number)
{
#ifdef RS_PPPD_2_5_API
    ppp_set_remote_number(number);
#else
    snprintf(remote_number, sizeof(remote_number), "%s", number);
#endif
}

void rs_shim_set_session_number(int number)
{
#ifdef RS_PPPD_2_5_API
    ppp_set_session_number(number);
#else
    ppp_session_number = number;
#endif
}

void rs_shim_script_setenv(const char *name, const char *value)
{
    /* pppd copies both strings; the casts only drop const for the old
     * prototypes that predate it. */
#ifdef RS_PPPD_2_5_API
    ppp_script_setenv((char *)name, (char *)value, 0);
#else
    script_setenv((char *)name, (char *)value, 0);
#endif
}

struct rs_lcp_mru rs_shim_get_lcp_mru(void)
{
    struct rs_lcp_mru mru;
    mru.want_mru = lcp_wantoptions[0].mru;
    mru.allow_mtu = lcp_allowoptions[0].mru;
    return mru;
}

void rs_shim_set_lcp_mru(struct rs_lcp_mru mru)
{
    lcp_wantoptions[0].mru = mru.want_mru;
    lcp_allowoptions[0].mru = mru.allow_mtu;
}

int rs_shim_sigterm_seen(void)
{
#ifdef RS_PPPD_2_5_API
    return ppp_signaled(SIGTERM) || ppp_signaled(SIGINT);
#else
    return got_sigterm != 0;
#endif
}

int rs_shim_debug_on(void)
{
#ifdef RS_PPPD_2_5_API
    return debug_on() ? 1 : 0;
#else
    return debug != 0;
#endif
}

/* --- The channel ---------------------------------------------------- */

static void rs_set_devnam(const char *name)
{
#ifdef RS_PPPD_2_5_API
    ppp_set_devnam(name);
#else
    snprintf(devnam, sizeof(devnam), "%s", name);
#endif
}

static void rs_set_modem_off(void)
{
#ifdef RS_PPPD_2_5_API
    ppp_set_modem(0);
#else
    modem = 0;
#endif
}

/* Reads /etc/ppp/options.<interface> (optional, privileged), like the
 * reference plugin; a parse error there is an option error. */
static void rs_process_extra_options(void)
{
    char path[PATH_MAX];
    char name[sizeof("options.") + IFNAMSIZ];

    snprintf(name, sizeof(name), "options.%s", rs_devnam);
#ifdef RS_PPPD_2_5_API
    if (ppp_get_filepath(PPP_DIR_CONF, name, path, sizeof(path)) >= (int)sizeof(path)) {
        ppp_option_error("Path to %s is too long", name);
        exit(EXIT_OPTION_ERROR);
    }
    if (!ppp_options_from_file(path, 0, 0, 1))
        exit(EXIT_OPTION_ERROR);
#else
    snprintf(path, sizeof(path), "/etc/ppp/%s", name);
    if (!options_from_file(path, 0, 0, 1))
        exit(EXIT_OPTION_ERROR);
#endif
}

static void rs_check_options(void)
{
    struct rs_raw_options raw;

    raw.service = rs_opt_service;
    raw.ac_name = rs_opt_ac_name;
    raw.existing_session = rs_opt_existing_session;
    raw.ac_mac = rs_opt_ac_mac;
    raw.host_uniq = rs_opt_host_uniq;
    raw.verbose = rs_opt_verbose;
    raw.padi_timeout = rs_opt_padi_timeout;
    raw.padi_attempts = rs_opt_padi_attempts;
    if (rs_callbacks == NULL || !rs_callbacks->check_options(&raw, rs_devnam))
        exit(EXIT_OPTION_ERROR);

    /* PPPoE frames carry neither HDLC address/control bytes nor an async
     * control-character map, and the reference turns protocol-field,
     * VJ, Deflate and BSD compression off as well. */
    lcp_allowoptions[0].neg_accompression = 0;
    lcp_wantoptions[0].neg_accompression = 0;
    lcp_allowoptions[0].neg_asyncmap = 0;
    lcp_wantoptions[0].neg_asyncmap = 0;
    lcp_allowoptions[0].neg_pcompression = 0;
    lcp_wantoptions[0].neg_pcompression = 0;
    ipcp_allowoptions[0].neg_vj = 0;
    ipcp_wantoptions[0].neg_vj = 0;
    ccp_allowoptions[0].deflate = 0;
    ccp_wantoptions[0].deflate = 0;
    ccp_allowoptions[0].bsd_compress = 0;
    ccp_wantoptions[0].bsd_compress = 0;
}

static int rs_connect(void)
{
    if (rs_callbacks == NULL)
        return -1;
    return rs_callbacks->connect();
}

static void rs_disconnect(void)
{
    if (rs_callbacks != NULL)
        rs_callbacks->disconnect();
}

static struct channel rs_channel = {
    .options = rs_options,
    .process_extra_options = &rs_process_extra_options,
    .check_options = &rs_check_options,
    .connect = &rs_connect,
    .disconnect = &rs_disconnect,
#ifdef RS_PPPD_2_5_API
    .establish_ppp = &ppp_generic_establish,
    .disestablish_ppp = &ppp_generic_disestablish,
#else
    .establish_ppp = &generic_establish_ppp,
    .disestablish_ppp = &generic_disestablish_ppp,
#endif
    .send_config = NULL,
    .recv_config = NULL,
    .cleanup = NULL,
    .close = NULL,
};

static int rs_devname_hook(char *word, char **argv, int doit)
{
    char ifname[IFNAMSIZ];

    (void)argv;
    if (rs_callbacks == NULL)
        return 0;
    memset(ifname, 0, sizeof(ifname));
    if (!rs_callbacks->device_word(word, doit, ifname, sizeof(ifname)))
        return 0;
    if (!doit)
        return 1;
    ifname[sizeof(ifname) - 1] = '\0';
    memcpy(rs_devnam, ifname, sizeof(rs_devnam));
    if (the_channel != &rs_channel) {
        the_channel = &rs_channel;
        rs_set_modem_off();
    }
    rs_set_devnam(rs_devnam);
    return 1;
}

/* --- Initialisation ------------------------------------------------- */

static int rs_kernel_supports_ppp(void)
{
#ifdef RS_PPPD_2_5_API
    return ppp_check_kernel_support() || new_style_driver;
#else
    return ppp_available() || new_style_driver;
#endif
}

void rs_shim_plugin_init(const struct rs_callbacks *callbacks, const char *banner)
{
    rs_callbacks = callbacks;
    rs_resolve_loggers();
    if (!rs_kernel_supports_ppp())
        fatal("%s", "Linux kernel does not support PPPoE -- are you running 2.4.x?");
#ifdef RS_PPPD_2_5_API
    ppp_add_options(rs_options);
#else
    add_options(rs_options);
#endif
    info("%s", banner);
}
