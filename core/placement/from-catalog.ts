import type { AppRequirements } from '../catalog/resolve.js';
import type { PlacementRequirements } from './types.js';

/**
 * The catalog's reading of a manifest as placement input. A database need's fallback server is the
 * manifest's bundled sidecar when it has one, so its memory is the sidecar's, not the engine default.
 */
export function requirementsFromCatalog(r: AppRequirements): PlacementRequirements {
  return {
    app: r.app,
    memoryBytes: r.memoryBytes,
    diskBytes: r.diskBytes ?? 0,
    ...(r.cpus !== undefined ? { cpus: r.cpus } : {}),
    architectures: [...r.architectures],
    devicePaths: r.devices.map((d) => ({ path: d.path, optional: d.optional })),
    ports: r.ports.map((p) => `${p.port}/${p.protocol}`),
    databases: r.databases.map((d) => ({
      ref: d.ref,
      engine: d.engine,
      ...(d.versions !== undefined ? { versions: d.versions } : {}),
      extensions: [...d.extensions],
      dedicated: d.dedicated,
      ...(r.sidecarMemoryBytes[d.ref] !== undefined ? { dedicatedMemoryBytes: r.sidecarMemoryBytes[d.ref] } : {}),
    })),
    images: [...r.images],
  };
}
