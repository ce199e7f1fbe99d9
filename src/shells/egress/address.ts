/**
 * Which kind of address a host name resolved to (DESIGN §7): the egress proxy connects only to public
 * addresses unless policy allows the address itself. Classes come from ipaddr.js's ranges (IANA special
 * purpose registries); IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 */
import { createRequire } from 'node:module';
import type * as IpAddr from 'ipaddr.js';

// ipaddr.js is CommonJS with one `module.exports` object: its members are not named ESM exports
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof IpAddr;

/** An address's class: `unicast` is the public Internet; anything else needs policy's explicit allow. */
export type AddressClass =
  | 'unicast'
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'metadata'
  | 'carrierGradeNat'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'ownHost';

/** The cloud metadata services' well-known addresses (AWS, GCP, Azure, OpenStack; AWS's IPv6 one). */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200']);

/** Classifies an IP address; `own` holds the host's own addresses (its interfaces). */
export function addressClass(address: string, own: ReadonlySet<string> = new Set()): AddressClass {
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as IpAddr.IPv6).isIPv4MappedAddress()) {
    ip = (ip as IpAddr.IPv6).toIPv4Address();
  }
  const text = ip.toString();
  if (METADATA.has(text)) return 'metadata';
  const range = ip.range();
  // the loopback interface's addresses are loopback first: own-host is for the host's other interfaces
  if (range !== 'loopback' && own.has(text)) return 'ownHost';
  switch (range) {
    case 'unicast':
      return 'unicast';
    case 'loopback':
      return 'loopback';
    case 'private':
    case 'uniqueLocal':
      return 'private';
    case 'linkLocal':
      return 'linkLocal';
    case 'carrierGradeNat':
      return 'carrierGradeNat';
    case 'unspecified':
      return 'unspecified';
    case 'multicast':
      return 'multicast';
    case 'broadcast':
      return 'broadcast';
    default:
      // benchmarking, documentation, 6to4, teredo, reserved, …: nothing an agent reaches by accident
      return 'reserved';
  }
}

/** The canonical text of an address (IPv4-mapped IPv6 as IPv4), for resources and records. */
export function canonicalAddress(address: string): string {
  const ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as IpAddr.IPv6).isIPv4MappedAddress()) {
    return (ip as IpAddr.IPv6).toIPv4Address().toString();
  }
  return ip.toString();
}
