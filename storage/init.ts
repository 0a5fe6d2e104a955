// `ghostbridge init`: makes <data> ready for a writer. With btrfs, <data> must be (or
// becomes) a subvolume so blocks can be snapshots of it. Running it again finds what is
// there and changes nothing.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { createSubvolume, isSubvolume, onBtrfs } from './btrfs.ts';
import { layout, readConfig, type BackendKind, type DataConfig } from './layout.ts';
import { ensureSigningKey, publicKeyPem, PUBLIC_KEY_FILE } from './signing.ts';

export interface InitOptions {
  dir: string;
  /** true: btrfs backend; false: plain directory; absent: whatever <data> has, else directory. */
  btrfs?: boolean;
  /** Where the Ed25519 private key is (created if missing); must be outside <data>. */
  keyFile?: string;
}

export interface InitResult {
  dir: string;
  backend: BackendKind;
  keyFile: string;
  publicKeyFile: string;
  /** False when <data> was already initialised. */
  created: boolean;
}

/** The key file `init` uses unless told otherwise: beside <data>, never inside it. */
export function defaultKeyPath(dir: string): string {
  return `${resolve(dir)}.signing-key.pem`;
}

export function publicKeyPath(dir: string): string {
  return resolve(layout(dir).metadata, PUBLIC_KEY_FILE);
}

function inside(dir: string, path: string): boolean {
  const r = relative(resolve(dir), resolve(path));
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

async function prepareSubvolume(dir: string): Promise<void> {
  if (existsSync(dir)) {
    if (!isSubvolume(dir)) throw new Error(`${dir} exists but is not a btrfs subvolume; give a new path on a btrfs filesystem`);
    return;
  }
  const parent = dirname(dir);
  if (!existsSync(parent)) throw new Error(`${parent} does not exist`);
  if (!onBtrfs(parent)) throw new Error(`${parent} is not on a btrfs filesystem; drop --btrfs to use the plain directory backend`);
  await createSubvolume(dir);
}

export async function initData(opts: InitOptions): Promise<InitResult> {
  const dir = resolve(opts.dir);
  const keyFile = resolve(opts.keyFile ?? defaultKeyPath(dir));
  if (inside(dir, keyFile)) throw new Error(`the signing key must live outside ${dir}, not at ${keyFile}`);
  const l = layout(dir);
  const existing = existsSync(l.config) ? readConfig(dir).backend : null;
  const wanted: BackendKind | null = opts.btrfs === undefined ? null : opts.btrfs ? 'btrfs' : 'directory';
  if (existing && wanted && existing !== wanted) throw new Error(`${dir} is already initialised with the ${existing} backend`);
  const backend: BackendKind = existing ?? wanted ?? 'directory';
  const created = existing === null;
  if (backend === 'btrfs') await prepareSubvolume(dir);
  mkdirSync(l.blocks, { recursive: true });
  if (backend === 'btrfs') mkdirSync(l.snapshots, { recursive: true });

  const pem = publicKeyPem(ensureSigningKey(keyFile));
  const pubFile = publicKeyPath(dir);
  if (existsSync(pubFile)) {
    if (readFileSync(pubFile, 'utf8') !== pem) throw new Error(`${keyFile} is not the key whose public half is in ${pubFile}`);
  } else {
    writeFileSync(pubFile, pem, { mode: 0o644 });
  }
  if (created) {
    const config: DataConfig = { format: 1, backend };
    writeFileSync(l.config, JSON.stringify(config, null, 2) + '\n');
  }
  if (!existsSync(l.log)) writeFileSync(l.log, '');
  return { dir, backend, keyFile, publicKeyFile: pubFile, created };
}
