//! The address of the person making a request: the connection's peer, or, when the peer is a
//! trusted proxy (a load balancer), the nearest address it forwarded that is not itself trusted.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use ipnet::IpNet;

use crate::AppState;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Proxies in these networks (`10.0.0.0/8`, `2001:db8::/32`, or a single address).
    pub fn parse(networks: &[String]) -> Result<TrustedProxies, String> {
        networks
            .iter()
            .map(|network| {
                let text = network.trim();
                text.parse::<IpNet>()
                    .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{network}` is not an address or a network such as 10.0.0.0/8"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|network| network.contains(&address))
    }

    /// Who is asking: `peer`, unless it is a trusted proxy, then the right-most forwarded address
    /// that is not a trusted proxy (addresses further left were written by the client and prove
    /// nothing).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok());
        let hops: Vec<&str> = forwarded.flat_map(|value| value.split(',')).collect();
        for hop in hops.iter().rev() {
            let Some(address) = parse_hop(hop) else { break };
            client = canonical(address);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// An address in `X-Forwarded-For`, with or without a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|socket| socket.ip()))
        .or_else(|| hop.trim_start_matches('[').split(']').next().and_then(|inner| inner.parse().ok()))
}

/// IPv4 addresses seen through an IPv6 socket are compared as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
        v4 => v4,
    }
}

/// The address of the person making the request, as far as it can be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl std::fmt::Display for ClientAddress {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(formatter)
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ClientAddress, StatusCode> {
        client_address(parts, &state.settings.trusted_proxies)
    }
}

impl FromRequestParts<crate::api::ApiState> for ClientAddress {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, state: &crate::api::ApiState) -> Result<ClientAddress, StatusCode> {
        client_address(parts, &state.trusted_proxies)
    }
}

/// The client address of a request, given the trusted proxies.
pub fn client_address(parts: &Parts, proxies: &TrustedProxies) -> Result<ClientAddress, StatusCode> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip())
        .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(ClientAddress(proxies.client(peer, &parts.headers)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_addresses_count_only_from_a_trusted_proxy() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "192.0.2.7".into()]).unwrap();
        let balancer: IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        // Through the balancer: the address it saw, not what the client wrote before it.
        assert_eq!(proxies.client(balancer, &headers("1.1.1.1, 198.51.100.4")).to_string(), "198.51.100.4");
        // Through two trusted hops.
        assert_eq!(proxies.client(balancer, &headers("198.51.100.4, 192.0.2.7")).to_string(), "198.51.100.4");
        // Straight from the internet: the header is the client's own words.
        assert_eq!(proxies.client(stranger, &headers("198.51.100.4")), stranger);
        // A balancer that forwarded nothing, or nonsense, is the address.
        assert_eq!(proxies.client(balancer, &HeaderMap::new()), balancer);
        assert_eq!(proxies.client(balancer, &headers("nonsense")), balancer);
        assert_eq!(proxies.client(balancer, &headers("[2001:db8::1]:443")).to_string(), "2001:db8::1");
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::default().client(balancer, &headers("198.51.100.4")) == balancer);
    }
}
