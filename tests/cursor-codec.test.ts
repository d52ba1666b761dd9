// Cursors are sealed with HMAC-SHA-256 and AES-256-CTR computed by hand from reused states (for
// speed): they must be exactly what node's own HMAC and CTR cipher make, or cursors already handed
// out would stop opening.
import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { counterBlocks, CursorCodec } from '../src/graphql/cursor-codec.js';
import { type ListCursors, toConnection } from '../src/graphql/pagination.js';

const derive = (key: Buffer, purpose: string) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `cardfile cursor ${purpose}`, 32));

/** The construction as written down: HMAC tag as IV, AES-256-CTR under it. */
function referenceSeal(key: Buffer, plain: Buffer): string {
  const tag = createHmac('sha256', derive(key, 'mac')).update(plain).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', derive(key, 'encryption'), tag);
  return Buffer.concat([tag, cipher.update(plain), cipher.final()]).toString('base64url');
}

describe('cursor sealing', () => {
  it('seals exactly as HMAC-SHA-256 and AES-256-CTR do, for lengths 1 to 300 (an empty one is never a cursor)', () => {
    const key = randomBytes(32);
    const codec = new CursorCodec(key);
    for (let length = 1; length <= 300; length++) {
      for (let round = 0; round < 5; round++) {
        const plain = randomBytes(length);
        const sealed = codec.seal(plain);
        expect(sealed).toBe(referenceSeal(key, plain));
        expect(codec.open(sealed)?.equals(plain)).toBe(true);
      }
    }
  });

  it('counts CTR blocks as node does, carries and the wrap past 2^128 included', () => {
    const key = randomBytes(32);
    const ecb = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
    const ivs = [
      Buffer.alloc(16, 0xff),
      Buffer.concat([Buffer.alloc(8, 0x11), Buffer.alloc(8, 0xff)]),
      Buffer.concat([Buffer.alloc(15, 0x00), Buffer.from([0xfe])]),
      randomBytes(16),
    ];
    for (const iv of ivs) {
      const zeros = Buffer.alloc(16 * 300);
      const ctr = createCipheriv('aes-256-ctr', key, iv);
      const expected = Buffer.concat([ctr.update(zeros), ctr.final()]);
      expect(ecb.update(counterBlocks(iv, zeros.length)).equals(expected)).toBe(true);
    }
  });

  it('keeps no state between cursors: sealing in any order gives the same texts', () => {
    const codec = new CursorCodec(randomBytes(32));
    const plains = Array.from({ length: 50 }, (_, i) => Buffer.from(JSON.stringify(['contacts', `name ${i}`, i])));
    const forward = plains.map((plain) => codec.seal(plain));
    const backward = [...plains].reverse().map((plain) => codec.seal(plain)).reverse();
    expect(backward).toEqual(forward);
  });
});

describe('cursors in a connection', () => {
  /** Cursors that count how many were sealed. */
  function countingCursors() {
    const sealed: number[] = [];
    const cursors: ListCursors = {
      encode: (keyset) => {
        sealed.push(keyset.id);
        return `cursor-${keyset.id}`;
      },
      decode: () => {
        throw new Error('not used');
      },
    };
    return { cursors, sealed };
  }
  const rows = Array.from({ length: 6 }, (_, i) => ({ id: i + 1 }));
  const page = { size: 5, backward: false, hasCursor: false };
  const connectionOf = (cursors: ListCursors) => toConnection(rows, page, cursors, (row) => ({ value: String(row.id), id: row.id }), async () => rows.length);

  it('seals no cursor a client did not select', () => {
    const { cursors, sealed } = countingCursors();
    const connection = connectionOf(cursors);
    expect(connection.edges.map((edge) => edge.node.id)).toEqual([1, 2, 3, 4, 5]);
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(sealed).toEqual([]);
  });

  it('seals the last edge once, asked for as endCursor and on the edge', () => {
    const { cursors, sealed } = countingCursors();
    const connection = connectionOf(cursors);
    expect(connection.pageInfo.endCursor).toBe('cursor-5');
    expect(connection.edges[4]!.cursor).toBe('cursor-5');
    expect(connection.pageInfo.endCursor).toBe('cursor-5');
    expect(connection.pageInfo.startCursor).toBe('cursor-1');
    expect(sealed).toEqual([5, 1]);
  });
});
