import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What can be checked of the container files without an engine: the runtime stage installs as
 * `.ci/production-install` does (which CI runs and proves whole), both stages start from the image of
 * the Node that CI tests on, and compose publishes nothing beyond this machine, with pinned images.
 * The image itself was built and run with podman: docs/containers.md says what was verified.
 */

const ROOT = join(__dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const dockerfile = read('Dockerfile');
/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
const runtimeStage = instructions.slice(instructions.findLastIndex((line) => line.startsWith('FROM ')));
const npmCi = (text: string) => /npm ci\b[^&)\n]*/.exec(text)?.[0].trim().split(/\s+/);

describe('the container files', () => {
  it("install the runtime stage's dependencies as .ci/production-install does: no dev dependency, no install script", () => {
    const install = npmCi(runtimeStage.filter((line) => line.startsWith('RUN ')).join('\n'));
    assert.ok(install, 'the runtime stage runs npm ci');
    assert.deepEqual(install, npmCi(read('.ci/production-install').split('\n').find((line) => line.includes('--omit=dev'))!));
    assert.ok(install.includes('--omit=dev') && install.includes('--ignore-scripts'), install.join(' '));
  });

  it('start both stages from one image, pinned to the minor version of the Node CI tests on', () => {
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    assert.ok(image, 'the image is one build argument, so a digest can be pinned with --build-arg');
    assert.deepEqual(instructions.filter((line) => line.startsWith('FROM ')), ['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE}']);
    const ciNode = /^[~^]?(\d+\.\d+)\./.exec((JSON.parse(read('package.json')) as { devDependencies: Record<string, string> }).devDependencies.node)?.[1];
    assert.equal(image, `node:${ciNode}-slim`);
  });

  it('give var/ (the outbox) to group 0 with its owner\'s rights, for an arbitrary UID in group 0', () => {
    assert.match(runtimeStage.join('\n'), /mkdir var && chown node:0 var && chmod g=u var/);
  });

  it('publish compose ports on this machine only, from images with a pinned tag', () => {
    const compose = read('compose.yaml');
    const ports = [...compose.matchAll(/^\s+ports:\n((?:\s+- .*\n)+)/gm)].flatMap((m) => [...m[1].matchAll(/- "([^"]+)"/g)].map((p) => p[1]));
    assert.deepEqual(ports, ['127.0.0.1:8025:8025', '127.0.0.1:8080:8080']);
    for (const [, image] of compose.matchAll(/^\s+image:\s*(\S+)/gm)) {
      assert.match(image, /:[\w.-]*\d[\w.-]*$/, `${image} names a version`);
    }
  });

  it('are started by docs/operations.md with the command compose.yaml gives', () => {
    const command = /^#\s+(CODE_PEPPER=.*docker compose up.*)$/m.exec(read('compose.yaml'))?.[1];
    assert.ok(command, 'compose.yaml says how to start it');
    assert.ok(read('docs/operations.md').includes(`\`${command}\``), command);
  });
});
