import type { ExportSource } from '../../src/security/audit/export-store.js';

/**
 * An `ExportSource` over whole objects in memory: `read` answers an object's bytes (or null
 * when absent), opened as one chunk of its length.
 */
export function wholeObjects(
  location: string,
  read: (name: string, versionId?: string) => Promise<Uint8Array | null>,
): ExportSource {
  return {
    location,
    open: async (name, versionId) => {
      const bytes = await read(name, versionId);
      return bytes && { size: bytes.byteLength, chunks: () => [bytes] };
    },
  };
}
