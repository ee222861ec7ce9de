//! The client's address behind reverse proxies (`--trusted-proxies`).
//!
//! Throttling and the audit trail need the address of the person, not of the proxy in front
//! of us (with an https public URL there nearly always is one, and then every client would share
//! its address). `X-Forwarded-For` and `Forwarded` are easy to forge, so they are read only when
//! the connection comes from a listed proxy, and only as far as the chain stays inside listed
//! proxies: walking the list from the right, the first address that is not a trusted proxy is
//! the client's.

use std::net::IpAddr;

/// One network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    /// `10.0.0.0/8`, `2001:db8::/32`, or a bare address (one host).
    pub fn parse(text: &str) -> Result<Net, String> {
        let text = text.trim();
        let bad = || format!("'{text}' is not an address or network like 10.0.0.0/8 or ::1");
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Net { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Net>);

/// At most this many forwarded addresses are looked at (a header can be made very long).
const MAX_HOPS: usize = 32;

impl TrustedProxies {
    /// A comma- or space-separated list of networks.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split([',', ' '])
            .filter(|s| !s.trim().is_empty())
            .map(Net::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(ip))
    }

    /// The client's address for a connection from `peer` carrying `headers`.
    pub fn client(&self, peer: IpAddr, headers: &http::HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusted(peer) {
            return peer;
        }
        let mut hops: Vec<IpAddr> = forwarded_for(headers);
        if hops.is_empty() {
            return peer;
        }
        hops.reverse();
        let mut client = peer;
        for hop in hops.into_iter().take(MAX_HOPS) {
            client = canonical(hop);
            if !self.trusted(client) {
                break;
            }
        }
        client
    }
}

/// The addresses of `X-Forwarded-For` (all headers, left to right), else of `Forwarded`'s
/// `for=` parameters. An entry that is not an address ends the list there (nothing to its left
/// can be believed).
fn forwarded_for(headers: &http::HeaderMap) -> Vec<IpAddr> {
    let xff: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let entries: Vec<String> = if !xff.is_empty() {
        xff.into_iter().map(|s| s.trim().to_string()).collect()
    } else {
        headers
            .get_all(http::header::FORWARDED)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| v.trim().trim_matches('"').to_string())
                })
            })
            .collect()
    };
    let parsed: Vec<Option<IpAddr>> = entries.iter().map(|e| parse_hop(e)).collect();
    // Keep the trailing run of readable addresses only.
    let start = parsed
        .iter()
        .rposition(Option::is_none)
        .map_or(0, |i| i + 1);
    parsed[start..].iter().flatten().copied().collect()
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:5678`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    s.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn networks() {
        let n = Net::parse("10.0.0.0/8").unwrap();
        assert!(n.contains("10.1.2.3".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(Net::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(Net::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        for bad in ["10.0.0.0/33", "nope", "10.0.0/8", ""] {
            assert!(Net::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_count_only_from_trusted_proxies() {
        let t = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 10.1.1.1")]);
        assert_eq!(t.client(peer, &h), "203.0.113.9".parse::<IpAddr>().unwrap());
        // A forged entry left of the client's is ignored: the client is the first untrusted
        // address from the right.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9")]);
        assert_eq!(t.client(peer, &h), "203.0.113.9".parse::<IpAddr>().unwrap());
        // From an untrusted peer the headers mean nothing.
        let stranger: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(t.client(stranger, &h), stranger);
        // RFC 7239.
        let h = headers(&[("forwarded", r#"for="[2001:db8::7]:4711";proto=https"#)]);
        assert_eq!(t.client(peer, &h), "2001:db8::7".parse::<IpAddr>().unwrap());
        // Garbage in the chain: only what is right of it is believed.
        let h = headers(&[("x-forwarded-for", "203.0.113.9, garbage, 10.2.2.2")]);
        assert_eq!(t.client(peer, &h), "10.2.2.2".parse::<IpAddr>().unwrap());
        // No proxies configured: the peer, always.
        assert_eq!(TrustedProxies::default().client(peer, &h), peer);
    }
}
