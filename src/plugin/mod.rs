//! pppd plugin logic behind a host trait (owned by the plugin track).
