// The app catalog over REST.
import { request } from './api.js';

export interface CatalogSummary {
  id: string;
  title: string;
  tagline?: string;
  categories: string[];
  version: string;
  icon?: string;
  hasIcon?: boolean;
  source: string;
  databases?: string[];
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  'x-secret'?: boolean;
}

export interface CatalogApp extends CatalogSummary {
  description?: string;
  website?: string;
  main?: { service: string; port: number; path?: string };
  requirements: {
    memoryBytes: number;
    diskBytes: number;
    architectures?: string[];
    devices?: { path: string; optional?: boolean }[];
    ports?: { port: number; protocol: string }[];
    databases?: { ref: string; engine: string; versions?: string; extensions?: string[]; dedicated?: boolean }[];
    images?: string[];
  };
  inputs: JsonSchema;
  secrets: string[];
  services: Record<string, { image: string; sidecarFor?: string }>;
  readme?: string;
}

const q = (params: Record<string, string | undefined>) => {
  const s = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1])).toString();
  return s ? `?${s}` : '';
};

export const catalogApps = (query: { q?: string; category?: string }) => request<{ apps: CatalogSummary[] }>('GET', `/catalog/apps${q(query)}`).then((r) => r.apps);
export const catalogApp = (id: string) => request<{ app: CatalogApp }>('GET', `/catalog/apps/${encodeURIComponent(id)}`).then((r) => r.app);
export const categories = () => request<{ categories: { name: string; count: number }[] }>('GET', '/catalog/categories').then((r) => r.categories);
/** The icon the catalog ships beside the manifest, else the manifest's URL; the caller falls back to a letter when it fails to load. */
export const iconUrl = (app: CatalogSummary): string | undefined => (app.hasIcon ? `/api/catalog/apps/${encodeURIComponent(app.id)}/icon` : app.icon);
