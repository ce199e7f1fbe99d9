/**
 * URL classifier for `http.*` actions, built on the WHATWG `URL` parser (the one `fetch` and browsers use, so
 * the kernel sees the host the executor will connect to). On top of it: IPv4-mapped IPv6 hosts are rewritten
 * to their IPv4 address, trailing dots of a domain are dropped, and IP literals are ranged (loopback, …), IPv6
 * addresses that carry an IPv4 address (NAT64, 6to4, IPv4-compatible) by that address. No dependency for this
 * (`ipaddr.js` is not one): the few ranges are coded here.
 */
import type { Classification, RiskLevel } from '../types.js';
import { MAX_INPUT_LENGTH, describe, quote, unclassifiable } from './result.js';

/** Ports used when a URL names none. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };

/** Schemes an `http.*` action is expected to use; any other scheme raises risk to high. */
const WEB_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'ws', 'wss']);

/** What kind of address an IP literal is (`url.ipRange`). */
export type IpRange =
  'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

/**
 * Classifies a URL. Facts: `url.scheme` (`https`), `url.host` (lower-case ASCII/punycode; IPv4 dotted; IPv6 in
 * brackets, compressed), `url.port` (number; the scheme's default when absent, omitted when there is none),
 * `url.path`, `url.userinfo: true` when credentials are present, `url.ip` (bare address) and `url.ipRange` when
 * the host is an IP literal (an IPv6 address carrying an IPv4 one, NAT64 `64:ff9b::/96`, 6to4 `2002::/16` or
 * IPv4-compatible `::a.b.c.d`, is ranged by that IPv4 address, given as `url.embeddedIpv4`); `resource` = the canonical href. Risk: medium; high for userinfo, a non-public IP,
 * `localhost`, or a scheme other than http(s)/ws(s); critical (with `url.error`, and `resource: null` so
 * that the engine treats the resource as unknown) when it cannot be parsed or `resource` and `args.url` name
 * different URLs.
 */
export function classifyUrl(resource: unknown, argUrl: unknown): Classification {
  const primary = canonicalise(resource ?? argUrl);
  if (typeof primary === 'string') return unclassifiable('url', primary);
  if (resource !== undefined && argUrl !== undefined) {
    const other = canonicalise(argUrl);
    if (typeof other === 'string' || other.href !== primary.href) {
      return unclassifiable('url', 'the resource and `args.url` name different urls');
    }
  }
  return describeUrl(primary);
}

/** Parses and canonicalises a URL, or returns why it cannot. */
function canonicalise(value: unknown): URL | string {
  if (typeof value !== 'string') return `url is ${describe(value)}, not a string`;
  if (value.length > MAX_INPUT_LENGTH) return `url is longer than ${MAX_INPUT_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `url ${quote(value)} is not a valid absolute url`;
  }
  const host = url.hostname;
  const mapped = host.startsWith('[') ? mappedIpv4(host.slice(1, -1)) : undefined;
  // INVARIANT: the host facts see exactly the host `url.href` names, so both are rewritten together
  if (mapped !== undefined) url.hostname = mapped;
  else if (host.endsWith('.') && !host.startsWith('[')) {
    const trimmed = host.replace(/\.+$/, '');
    if (trimmed === '') return `url ${quote(value)} has no host name`;
    url.hostname = trimmed;
  }
  return url;
}

function describeUrl(url: URL): Classification {
  const scheme = url.protocol.replace(/:$/, '');
  const host = url.hostname;
  const facts: Record<string, unknown> = { 'url.scheme': scheme, 'url.path': url.pathname };
  let risk: RiskLevel = WEB_SCHEMES.has(scheme) ? 'medium' : 'high';
  if (host !== '') facts['url.host'] = host;
  const port = url.port === '' ? DEFAULT_PORTS[scheme] : Number(url.port);
  if (port !== undefined) facts['url.port'] = port;
  if (url.username !== '' || url.password !== '') {
    facts['url.userinfo'] = true;
    risk = 'high';
  }
  const ip = host.startsWith('[') ? host.slice(1, -1) : isIpv4(host) ? host : undefined;
  if (ip !== undefined) {
    const embedded = ip.includes(':') ? embeddedIpv4(ip) : undefined;
    const range = ip.includes(':') ? ipv6Range(ip, embedded) : ipv4Range(ip);
    facts['url.ip'] = ip;
    facts['url.ipRange'] = range;
    if (embedded !== undefined) facts['url.embeddedIpv4'] = embedded;
    if (range !== 'public') risk = 'high';
  } else if (host === 'localhost' || host.endsWith('.localhost')) risk = 'high';
  return { facts, risk, resource: url.href };
}

/** True for a dotted-quad as WHATWG serialises IPv4 hosts (every other notation is already converted). */
function isIpv4(host: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Expands a WHATWG-serialised IPv6 address (compressed, no embedded IPv4) into its 8 groups. */
function ipv6Groups(ip: string): number[] {
  const [head = '', tail] = ip.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The dotted IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:7f00:1` → `127.0.0.1`), if it is one. */
function mappedIpv4(ip: string): string | undefined {
  const g = ipv6Groups(ip);
  if (g.length !== 8 || g.slice(0, 5).some((x) => x !== 0) || g[5] !== 0xffff) return undefined;
  const hi = g[6] ?? 0;
  const lo = g[7] ?? 0;
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

function ipv4Range(ip: string): IpRange {
  const [a = 0, b = 0] = ip.split('.').map(Number);
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127)
  ) {
    return 'private';
  }
  if (a === 169 && b === 254) return 'link-local';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'public';
}

/**
 * The IPv4 address an IPv6 address carries, for the forms that deliver to it: NAT64 (`64:ff9b::/96`, RFC 6052:
 * the last 32 bits), 6to4 (`2002::/16`, RFC 3056: bits 16–47) and the deprecated IPv4-compatible `::a.b.c.d`
 * (`::/96`, not `::` or `::1`). IPv4-mapped `::ffff:0:0/96` never gets here: the host is rewritten to IPv4.
 */
function embeddedIpv4(ip: string): string | undefined {
  const g = ipv6Groups(ip);
  const dotted = (hi: number, lo: number): string => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  const [g0 = 0, g1 = 0, g2 = 0, , , , g6 = 0, g7 = 0] = g;
  if (g0 === 0x64 && g1 === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return dotted(g6, g7);
  if (g0 === 0x2002) return dotted(g1, g2);
  if (g.slice(0, 6).every((x) => x === 0) && (g6 !== 0 || g7 > 1)) return dotted(g6, g7);
  return undefined;
}

function ipv6Range(ip: string, embedded: string | undefined): IpRange {
  const g = ipv6Groups(ip);
  const [first = 0, second = 0] = g;
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  if (embedded !== undefined) {
    const range = ipv4Range(embedded);
    // INVARIANT: an IPv4-compatible address reaches nothing public on a modern stack: never `public`
    return range === 'public' && first === 0 ? 'reserved' : range;
  }
  // the local-use NAT64 prefix `64:ff9b:1::/48` (RFC 8215) leads to a translator inside the network
  if (first === 0x64 && second === 0xff9b) return 'private';
  if ((first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfec0) return 'private';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}
