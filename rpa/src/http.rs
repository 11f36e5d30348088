//! HTTP clients for workflows and the services councilbot calls, all on one TLS setup.

/// Chooses ring as the process's TLS crypto provider; clients need one and several are linked
/// in (a second call changes nothing).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client builder with the TLS provider in place and councilbot's user agent.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder().user_agent(concat!("councilbot/", env!("CARGO_PKG_VERSION")))
}
