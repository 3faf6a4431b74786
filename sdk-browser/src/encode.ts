import type { Context } from './types.js';

/**
 * A context as canonical JSON: top-level attributes in sorted order, so `{a, b}` and `{b, a}` share a
 * cache entry and a stream URL. Contexts are flat (attribute values are scalars or arrays of scalars),
 * so the replacer's key list never drops a nested property.
 *
 * @example
 * contextJson({ key: 'u', country: 'DE' }); // '{"country":"DE","key":"u"}'
 */
export function contextJson(context: Context): string {
  return JSON.stringify(context, Object.keys(context).sort());
}

/**
 * A 53-bit string hash (cyrb53) in base 36: names cache entries without writing the key or the
 * context itself into storage key names. Not a security measure.
 *
 * @example
 * hashString('rf_cli_abc'); // e.g. '1x3k9q2c0ab'
 */
export function hashString(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * UTF-8 text as unpadded base64url, the encoding of the stream's `context` parameter.
 *
 * @example
 * base64url('{"key":"zoë"}'); // 'eyJrZXkiOiJ6b8OrIn0'
 */
export function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
