/** Cluster ids. */

/** A new cluster id: as Kafka's, 16 random bytes in URL-safe base64 without padding. */
export function newClusterId(): string {
  let binary = '';
  for (const b of crypto.getRandomValues(new Uint8Array(16))) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
