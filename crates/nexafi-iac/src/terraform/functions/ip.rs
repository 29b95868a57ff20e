//! IP network functions on CIDR prefixes such as `10.0.0.0/16` or `fd00::/8`.
//!
//! Addresses are held as a `u128` with the address length in bits (32 or 128), so
//! IPv4 and IPv6 share the arithmetic.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::args::{Call, Failure, Outcome};

/// A parsed prefix: the network address (host bits cleared) and its length.
#[derive(Clone, Copy)]
struct Prefix {
    address: u128,
    length: u32,
    bits: u32,
}

impl Prefix {
    fn host_bits(self) -> u32 {
        self.bits - self.length
    }

    fn family(self) -> &'static str {
        if self.bits == 32 { "IPv4" } else { "IPv6" }
    }

    fn address_text(self, address: u128) -> String {
        if self.bits == 32 {
            // Addresses of a 32-bit prefix always fit.
            Ipv4Addr::from(u32::try_from(address).unwrap_or(u32::MAX)).to_string()
        } else {
            Ipv6Addr::from(address).to_string()
        }
    }

    fn text(self) -> String {
        format!("{}/{}", self.address_text(self.address), self.length)
    }
}

/// Returns `2^exponent`, or `None` for 2^128, which a `u128` cannot hold.
fn power_of_two(exponent: u32) -> Option<u128> {
    1_u128.checked_shl(exponent)
}

fn parse_prefix(call: &Call, index: usize) -> Result<Prefix, Failure> {
    let text = call.string(index)?;
    let invalid = || {
        call.invalid(
            index,
            format!("invalid CIDR expression: invalid CIDR address: {text}"),
        )
    };
    let (address, length) = text.split_once('/').ok_or_else(invalid)?;
    let length: u32 = length
        .parse()
        .ok()
        .filter(|_| length.bytes().all(|byte| byte.is_ascii_digit()))
        .ok_or_else(invalid)?;
    let (address, bits) = match parse_ipv4(address) {
        Some(v4) => (u128::from(v4), 32),
        None => (
            u128::from(address.parse::<Ipv6Addr>().map_err(|_| invalid())?),
            128,
        ),
    };
    if length > bits {
        return Err(invalid());
    }
    let host_mask = power_of_two(bits - length).map_or(u128::MAX, |size| size - 1);
    Ok(Prefix {
        address: address & !host_mask,
        length,
        bits,
    })
}

/// Parses dotted IPv4, accepting leading zeros as decimal as Terraform does.
fn parse_ipv4(text: &str) -> Option<u32> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut address = 0_u32;
    for part in parts {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        let octet: u8 = part.parse().ok()?;
        address = (address << 8) | u32::from(octet);
    }
    Some(address)
}

/// Returns the address of host number `hostnum` in the prefix. A negative number
/// counts back from the last address.
pub(super) fn cidrhost(call: &Call) -> Outcome {
    let prefix = parse_prefix(call, 0)?;
    let host = call.integer(1)?;
    let size = power_of_two(prefix.host_bits());
    let too_large = || {
        call.fail(format!(
            "prefix of {} does not accommodate a host numbered {host}",
            prefix.length
        ))
    };

    let magnitude = u128::from(host.unsigned_abs());
    let offset = if host >= 0 {
        if size.is_some_and(|size| magnitude >= size) {
            return Err(too_large());
        }
        magnitude
    } else {
        match size {
            Some(size) if magnitude > size => return Err(too_large()),
            Some(size) => size - magnitude,
            None => u128::MAX - (magnitude - 1),
        }
    };
    call.string_node(prefix.address_text(prefix.address | offset))
}

/// Returns the dotted netmask of an IPv4 prefix.
pub(super) fn cidrnetmask(call: &Call) -> Outcome {
    let prefix = parse_prefix(call, 0)?;
    if prefix.bits != 32 {
        return Err(call.fail(format!(
            "IPv6 addresses cannot have a netmask: {}",
            prefix.text()
        )));
    }
    let mask = u32::MAX.checked_shl(32 - prefix.length).unwrap_or(0);
    call.string_node(Ipv4Addr::from(mask).to_string())
}

/// Returns subnet number `netnum` of the prefix extended by `newbits` bits.
pub(super) fn cidrsubnet(call: &Call) -> Outcome {
    let prefix = parse_prefix(call, 0)?;
    let newbits = call.integer(1)?;
    let netnum = call.integer(2)?;

    let newbits = u32::try_from(newbits).map_err(|_| call.invalid(1, "must not be negative"))?;
    let length = prefix.length.saturating_add(newbits);
    if length > prefix.bits {
        return Err(call.fail(format!(
            "insufficient address space to extend prefix of {} by {newbits}",
            prefix.length
        )));
    }
    let count = power_of_two(newbits);
    let fits = u128::try_from(netnum).is_ok_and(|netnum| count.is_none_or(|count| netnum < count));
    if !fits {
        return Err(call.fail(format!(
            "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
        )));
    }
    let netnum = u128::try_from(netnum).unwrap_or(0);
    let shifted = netnum.checked_shl(prefix.bits - length).unwrap_or(0);
    let subnet = Prefix {
        address: prefix.address | shifted,
        length,
        bits: prefix.bits,
    };
    call.string_node(subnet.text())
}

/// Allocates consecutive subnets of the prefix, one per `newbits` argument, each
/// aligned to its own size, as Terraform's `cidrsubnets` does.
pub(super) fn cidrsubnets(call: &Call) -> Outcome {
    let prefix = parse_prefix(call, 0)?;
    let space = power_of_two(prefix.host_bits());

    let mut cursor = 0_u128;
    let mut previous: Option<Prefix> = None;
    let mut subnets = Vec::with_capacity(call.args.len().saturating_sub(1));
    for index in 1..call.args.len() {
        let newbits = call.integer(index)?;
        if newbits < 1 {
            return Err(call.invalid(index, "must extend prefix by at least one bit"));
        }
        if newbits > 32 {
            return Err(call.invalid(index, "may not extend prefix by more than 32 bits"));
        }
        let length = prefix.length + u32::try_from(newbits).unwrap_or(32);
        if length > prefix.bits {
            return Err(call.invalid(
                index,
                format!(
                    "would extend prefix to {length} bits, which is too long for an {} address",
                    prefix.family()
                ),
            ));
        }

        let size = power_of_two(prefix.bits - length).unwrap_or(u128::MAX);
        let start = cursor.div_ceil(size).checked_mul(size);
        let end = start.and_then(|start| start.checked_add(size));
        let fits = match (start, end, space) {
            (Some(_), Some(end), Some(space)) => end <= space,
            (Some(_), Some(_), None) => true,
            _ => false,
        };
        let Some(start) = start.filter(|_| fits) else {
            let after = previous.unwrap_or(prefix).text();
            return Err(call.invalid(
                index,
                format!(
                    "not enough remaining address space for a subnet with a prefix of {length} bits after {after}"
                ),
            ));
        };

        let subnet = Prefix {
            address: prefix.address | start,
            length,
            bits: prefix.bits,
        };
        subnets.push(call.node(nexafi_model::Value::String(subnet.text())));
        previous = Some(subnet);
        cursor = end.unwrap_or(u128::MAX);
    }
    call.list_node(subnets)
}
