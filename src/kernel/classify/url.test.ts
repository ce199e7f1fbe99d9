import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from './index.js';

const http = (resource: unknown, args?: Record<string, unknown>) =>
  classify({ agent: 'a', action: 'http.request', resource: resource as string, args });
const facts = (url: string) => {
  const c = http(url);
  expect(c.facts['url.error'], `unexpected error for ${url}`).toBeUndefined();
  return c.facts;
};

describe('url classifier', () => {
  it('derives scheme, host, port, path and the canonical resource', () => {
    expect(http('HTTPS://API.Example.COM/v1/../v2/./items?q=1#frag')).toEqual({
      facts: {
        'url.scheme': 'https',
        'url.host': 'api.example.com',
        'url.port': 443,
        'url.path': '/v2/items',
      },
      risk: 'medium',
      resource: 'https://api.example.com/v2/items?q=1#frag',
    });
  });

  it.each([
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://0177.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://127.0.0.1./', '127.0.0.1'],
    ['http://%31%32%37.0.0.1/', '127.0.0.1'],
    ['http://１２７.0.0.1/', '127.0.0.1'],
    ['http://[::ffff:127.0.0.1]/', '127.0.0.1'],
    ['http://[::ffff:7f00:1]/', '127.0.0.1'],
    ['http://[0:0:0:0:0:ffff:7f00:0001]/', '127.0.0.1'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['http://0xa9fea9fe/', '169.254.169.254'],
  ])('canonicalises IPv4 notation %s → %s', (url, ip) => {
    const f = facts(url);
    expect(f['url.host']).toBe(ip);
    expect(f['url.ip']).toBe(ip);
  });

  it.each([
    ['http://[0:0:0:0:0:0:0:1]/', '[::1]', '::1', 'loopback'],
    ['http://[::1]:8080/', '[::1]', '::1', 'loopback'],
    ['http://[FE80:0:0::1]/', '[fe80::1]', 'fe80::1', 'link-local'],
    ['http://[fd00:0000::0001]/', '[fd00::1]', 'fd00::1', 'private'],
    ['http://[2001:db8:0:0:1:0:0:1]/', '[2001:db8::1:0:0:1]', '2001:db8::1:0:0:1', 'public'],
    ['http://[::]/', '[::]', '::', 'unspecified'],
    ['http://[::127.0.0.1]/', '[::7f00:1]', '::7f00:1', 'loopback'],
    ['http://[::8.8.8.8]/', '[::808:808]', '::808:808', 'reserved'],
  ])('canonicalises IPv6 %s', (url, host, ip, range) => {
    const f = facts(url);
    expect(f['url.host']).toBe(host);
    expect(f['url.ip']).toBe(ip);
    expect(f['url.ipRange']).toBe(range);
  });

  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://172.32.0.1/', 'public'],
    ['http://192.168.1.1/', 'private'],
    ['http://100.64.0.1/', 'private'],
    ['http://169.254.169.254/', 'link-local'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://255.255.255.255/', 'reserved'],
    ['http://8.8.8.8/', 'public'],
  ])('ranges %s as %s', (url, range) => {
    const c = http(url);
    expect(c.facts['url.ipRange']).toBe(range);
    expect(c.risk).toBe(range === 'public' ? 'medium' : 'high');
  });

  it.each([
    ['http://EXAMPLE.com/', 'example.com'],
    ['http://example.com./', 'example.com'],
    ['http://bücher.de/', 'xn--bcher-kva.de'],
    ['http://BÜCHER.de/', 'xn--bcher-kva.de'],
    ['http://ｅｖｉｌ.com/', 'evil.com'],
    ['http://%65vil.com/', 'evil.com'],
    ['http://ev\til.com/', 'evil.com'],
    ['http://xn--bcher-kva.de/', 'xn--bcher-kva.de'],
  ])('canonicalises host name %j → %s', (url, host) => {
    expect(facts(url)['url.host']).toBe(host);
  });

  it.each([
    ['http://good.com@evil.com/', 'evil.com', true],
    ['http://good.com:pw@evil.com/', 'evil.com', true],
    ['http://evil.com\\@good.com/', 'evil.com', undefined],
    ['http://evil.com#@good.com/', 'evil.com', undefined],
    ['http://evil.com?@good.com/', 'evil.com', undefined],
    ['https://user@good.com:443@evil.com/', 'evil.com', true],
  ])('finds the real host behind userinfo tricks: %s → %s', (url, host, userinfo) => {
    const c = http(url);
    expect(c.facts['url.host']).toBe(host);
    expect(c.facts['url.userinfo']).toBe(userinfo);
    if (userinfo) expect(c.risk).toBe('high');
  });

  it.each([
    ['http://x.com/', 80],
    ['https://x.com/', 443],
    ['http://x.com:80/', 80],
    ['https://x.com:8443/', 8443],
    ['http://x.com:0080/', 80],
    ['ws://x.com/', 80],
    ['wss://x.com/', 443],
  ])('port of %s is %d', (url, port) => {
    expect(facts(url)['url.port']).toBe(port);
  });

  it('omits the port for schemes without a default and raises their risk', () => {
    const c = http('gopher://x.com/');
    expect(c.facts['url.port']).toBeUndefined();
    expect(c.risk).toBe('high');
    expect(http('file:///etc/passwd').facts).toEqual({ 'url.scheme': 'file', 'url.path': '/etc/passwd' });
  });

  it('rates localhost high', () => {
    expect(http('http://localhost:8080/').risk).toBe('high');
    expect(http('http://admin.localhost/').risk).toBe('high');
  });

  it('falls back to args.url and refuses a conflicting one', () => {
    expect(http(undefined, { url: 'https://x.com' }).resource).toBe('https://x.com/');
    expect(http('https://X.com', { url: 'https://x.com/' }).risk).toBe('medium');
    const c = http('https://good.com/', { url: 'https://evil.com/' });
    expect(c.risk).toBe('critical');
    expect(c.facts['url.error']).toBe('the resource and `args.url` name different urls');
  });

  it.each([
    ['a relative url', '/path/only'],
    ['a host without a scheme', 'example.com/x'],
    ['an invalid port', 'http://x.com:99999/'],
    ['an invalid IPv4', 'http://256.0.0.1/'],
    ['an invalid IPv6', 'http://[::g]/'],
    ['a forbidden host character', 'http://ex ample.com/'],
    ['an empty string', ''],
    ['a host of only dots', 'http://../'],
    ['a percent-encoded @ in the host', 'http://good.com%40evil.com/'],
    ['input over 64 KiB', 'http://x.com/' + 'a'.repeat(70_000)],
  ])('fails closed on %s', (_label, url) => {
    const c = http(url);
    expect(c.risk).toBe('critical');
    expect(typeof c.facts['url.error']).toBe('string');
    expect(c.resource).toBeNull();
  });

  it.each([[42], [null], [['http://x.com']], [undefined]])('fails closed on a non-string url %j', (value) => {
    const c = http(value);
    expect(c.risk).toBe('critical');
    expect(c.facts['url.error']).toMatch(/^url is /);
    expect(c.resource).toBeNull();
  });

  it.each([
    // NAT64 (64:ff9b::/96): the translator connects to the last 32 bits
    ['http://[64:ff9b::127.0.0.1]/', '64:ff9b::7f00:1', '127.0.0.1', 'loopback'],
    ['http://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe', '169.254.169.254', 'link-local'],
    ['http://[64:ff9b::10.0.0.1]/', '64:ff9b::a00:1', '10.0.0.1', 'private'],
    ['http://[64:FF9B:0:0:0:0:C0A8:0101]/', '64:ff9b::c0a8:101', '192.168.1.1', 'private'],
    ['http://[64:ff9b::0.0.0.0]/', '64:ff9b::', '0.0.0.0', 'unspecified'],
    ['http://[64:ff9b::8.8.8.8]/', '64:ff9b::808:808', '8.8.8.8', 'public'],
    // 6to4 (2002::/16): the IPv4 address is bits 16-47
    ['http://[2002:7f00:1::]/', '2002:7f00:1::', '127.0.0.1', 'loopback'],
    ['http://[2002:a9fe:a9fe::1]/', '2002:a9fe:a9fe::1', '169.254.169.254', 'link-local'],
    ['http://[2002:c0a8:101:0:0:0:0:1]/', '2002:c0a8:101::1', '192.168.1.1', 'private'],
    ['http://[2002:808:808::1]/', '2002:808:808::1', '8.8.8.8', 'public'],
    // IPv4-compatible (::a.b.c.d): ranged by the address, never public
    ['http://[::169.254.169.254]/', '::a9fe:a9fe', '169.254.169.254', 'link-local'],
    ['http://[::10.1.2.3]/', '::a01:203', '10.1.2.3', 'private'],
    ['http://[::0.0.0.2]/', '::2', '0.0.0.2', 'unspecified'],
  ])('ranges %s by the IPv4 address it carries', (url, ip, ipv4, range) => {
    const c = http(url);
    expect(c.facts['url.ip']).toBe(ip);
    expect(c.facts['url.embeddedIpv4']).toBe(ipv4);
    expect(c.facts['url.ipRange']).toBe(range);
    expect(c.risk).toBe(range === 'public' ? 'medium' : 'high');
  });

  it.each([
    ['http://[64:ff9b:1::a00:1]/', 'private'], // local-use NAT64 prefix (RFC 8215)
    ['http://[2001:db8::7f00:1]/', 'public'], // not an embedding prefix: the last bits mean nothing
  ])('does not read an IPv4 address into %s', (url, range) => {
    const c = http(url);
    expect(c.facts['url.embeddedIpv4']).toBeUndefined();
    expect(c.facts['url.ipRange']).toBe(range);
  });

  it('keeps the NAT64 host as written: the executor connects to the IPv6 address', () => {
    expect(http('http://[64:ff9b::7f00:1]:8080/x').resource).toBe('http://[64:ff9b::7f00:1]:8080/x');
  });

  it('never throws and never rates arbitrary input low', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.anything()), fc.anything(), (resource, args) => {
        const c = http(resource, args as Record<string, unknown>);
        expect(['medium', 'high', 'critical']).toContain(c.risk);
        expect(JSON.parse(JSON.stringify(c.facts))).toEqual(c.facts);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the host fact and the resource in step', () => {
    fc.assert(
      fc.property(
        fc.webUrl({ authoritySettings: { withUserInfo: true }, withQueryParameters: true }),
        (url) => {
          const c = http(url);
          if (c.resource === undefined || c.resource === null) return;
          expect(new URL(c.resource).hostname).toBe(c.facts['url.host']);
          expect(http(c.resource).resource).toBe(c.resource);
        },
      ),
      { numRuns: 300 },
    );
  });
});
