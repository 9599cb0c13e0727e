import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../services/runtime/paths';

/**
 * The skill manifests: templates under `manifest/` at the top of the repository, filled with the
 * endpoint (`${PUBLIC_URL}/api/messages`) and app id of this deployment, served under `/manifest/`.
 */

export const MANIFEST_DIR = packagePath('manifest');
/** The app id a manifest names when the deployment has none (the Emulator's "no credentials"). */
export const NO_APP_ID = '00000000-0000-0000-0000-000000000000';

export interface ManifestValues {
  publicUrl: string;
  appId: string | undefined;
}

/** Every `*.json` template of `dir`, filled, by file name. */
export function loadManifests(values: ManifestValues, dir = MANIFEST_DIR): Map<string, string> {
  const fill: Record<string, string> = { PUBLIC_URL: values.publicUrl, MicrosoftAppId: values.appId ?? NO_APP_ID };
  const manifests = new Map<string, string>();
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const template = readFileSync(join(dir, name), 'utf8');
    // Substituted inside JSON strings, so the values are escaped as JSON string content.
    const text = template.replace(/\$\{(\w+)\}/g, (whole, variable: string) =>
      variable in fill ? JSON.stringify(fill[variable]).slice(1, -1) : whole,
    );
    JSON.parse(text); // a broken template stops the start, not the first caller
    manifests.set(name, text);
  }
  return manifests;
}
