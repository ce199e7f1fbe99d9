import { describe, expect, it } from 'vitest';
import { addressClass, canonicalAddress } from './address.js';

describe('addressClass', () => {
  it.each([
    ['93.184.216.34', 'unicast'],
    ['2606:2800:220:1:248:1893:25c8:1946', 'unicast'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['192.0.2.1', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(addressClass(address)).toBe(kind);
  });

  it("names the host's own addresses, even public ones", () => {
    expect(addressClass('93.184.216.34', new Set(['93.184.216.34']))).toBe('ownHost');
    expect(addressClass('::ffff:93.184.216.34', new Set(['93.184.216.34']))).toBe('ownHost');
  });

  it('keeps the loopback interface loopback though it is the host own', () => {
    expect(addressClass('127.0.0.1', new Set(['127.0.0.1', '::1']))).toBe('loopback');
    expect(addressClass('::1', new Set(['127.0.0.1', '::1']))).toBe('loopback');
  });

  it('gives IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(canonicalAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('0:0:0:0:0:0:0:1')).toBe('::1');
  });
});
