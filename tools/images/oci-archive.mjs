// Packs a root filesystem directory into an OCI image archive (a tar of an OCI image layout)
// that `ctr images import` accepts and names from the index's annotation, no registry involved.
//
//   node oci-archive.mjs ROOTFS ARCHIVE NAME CONFIG
//
// NAME is the full reference (docker.io/apache/spark:4.0.1); CONFIG is the JSON of the image
// config's "config" member (Entrypoint, Cmd, Env, User, WorkingDir).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const [rootfs, archive, name, runConfig] = process.argv.slice(2);
if (!runConfig) {
  console.error('usage: node oci-archive.mjs ROOTFS ARCHIVE NAME CONFIG');
  process.exit(2);
}

function run(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  const exited = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
  return { child, exited };
}

const layout = await mkdtemp(join(dirname(archive), '.oci-'));
const blobs = join(layout, 'blobs', 'sha256');
await mkdir(blobs, { recursive: true });

async function writeBlob(mediaType, content) {
  const digest = createHash('sha256').update(content).digest('hex');
  await writeFile(join(blobs, digest), content);
  return { mediaType, digest: `sha256:${digest}`, size: content.length };
}

// One uncompressed layer, hashed while it is written: its digest is also its diff_id. The owners
// are numbers because the image's /etc/passwd, not this machine's, gives them names; /proc, /sys
// and /dev stay as empty mount points that the runtime fills.
const layerHash = createHash('sha256');
const layerFile = join(blobs, 'layer.partial');
const tar = run(
  'tar',
  ['--create', '--numeric-owner', '--no-xattrs', '--no-acls', '--no-selinux', '--sort=name',
    '--exclude=./proc/*', '--exclude=./sys/*', '--exclude=./dev/*', '--directory', rootfs, '.'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
await Promise.all([
  pipeline(
    tar.child.stdout,
    async function* (chunks) {
      for await (const chunk of chunks) {
        layerHash.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(layerFile),
  ),
  tar.exited,
]);
const layerDigest = layerHash.digest('hex');
await rename(layerFile, join(blobs, layerDigest));
const layer = {
  mediaType: 'application/vnd.oci.image.layer.v1.tar',
  digest: `sha256:${layerDigest}`,
  size: (await stat(join(blobs, layerDigest))).size,
};

const config = await writeBlob(
  'application/vnd.oci.image.config.v1+json',
  JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: JSON.parse(runConfig),
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  }),
);
const manifest = await writeBlob(
  'application/vnd.oci.image.manifest.v1+json',
  JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] }),
);
// containerd names the image from io.containerd.image.name; other OCI tools read the tag alone.
const tag = name.slice(name.lastIndexOf(':') + 1);
await writeFile(
  join(layout, 'index.json'),
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...manifest, annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag } }],
  }),
);
await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));

await run('tar', ['--create', '--file', archive, '--directory', layout, 'oci-layout', 'index.json', 'blobs']).exited;
await rm(layout, { recursive: true });
