//! Client addresses as vendor logs write them: bare IPv4 or IPv6, `v4:port`, `[v6]:port`,
//! `[v6]`, IPv6 with a `%zone`, and stray surrounding spaces. Anything else (host names,
//! `AWS Internal`, empty fields) is not an address; this never panics on any text.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The IP address in `text`, or `None` when the text is not one of the accepted forms.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return parse_v6(inner).map(IpAddr::V6);
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(v6) = parse_v6(text) {
        return Some(IpAddr::V6(v6));
    }
    let (host, port) = text.rsplit_once(':')?;
    if !is_port(port) {
        return None;
    }
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// IPv6 text with an optional `%zone` suffix (link-local addresses in Windows and Linux logs).
fn parse_v6(text: &str) -> Option<Ipv6Addr> {
    let address = text
        .split_once('%')
        .map_or(text, |(address, _zone)| address);
    address.parse().ok()
}

/// A decimal port: one to five digits, at most 65535.
fn is_port(text: &str) -> bool {
    (1..=5).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u16>().is_ok()
}
