// RFC 9162 §2.1.3.2: verify an inclusion proof in the browser (Web Crypto SHA-256).
const b64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const toB64 = (b: Uint8Array): string => btoa(String.fromCharCode(...b));

async function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
}

/** The root hash (base64) that `proof` leads to from the leaf, or null when the proof is malformed. */
export async function rootFromInclusionProof(index: number, treeSize: number, leafHashB64: string, proofB64: string[]): Promise<string | null> {
  if (index < 0 || index >= treeSize) return null;
  let fn = BigInt(index);
  let sn = BigInt(treeSize - 1);
  let r = b64(leafHashB64);
  for (const p64 of proofB64) {
    const p = b64(p64);
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? toB64(r) : null;
}
