//! HTTP clients for workflows and the services councilbot calls, all on one TLS setup.

use std::sync::{Arc, OnceLock};

/// Chooses ring as the process's TLS crypto provider; clients need one and several are linked
/// in (a second call changes nothing).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client builder with the TLS provider in place and councilbot's user agent.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    let builder = reqwest::Client::builder().user_agent(concat!("councilbot/", env!("CARGO_PKG_VERSION")));
    match shared_tls() {
        Some(tls) => builder.tls_backend_preconfigured(tls),
        None => builder,
    }
}

/// The TLS settings every client uses, made once: reading the system's root certificates is
/// slow, and each workflow run has a client of its own (for its cookies). `None` when they
/// cannot be made, so each client makes its own and reports why.
fn shared_tls() -> Option<rustls::ClientConfig> {
    static SHARED: OnceLock<Option<rustls::ClientConfig>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).ok()?;
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .ok()?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth();
            Some(config)
        })
        .clone()
}
