import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pin, pins, readPinned, sha256, sharedDirs } from '../../build-tools/upstream';
import { describeWithShared } from '../shared';

describe('pinned upstream inputs (imports/pins.json)', () => {
  const saved = process.env.SECURE_MESH_SHARED;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-mesh-shared-'));
  afterAll(() => {
    if (saved === undefined) delete process.env.SECURE_MESH_SHARED;
    else process.env.SECURE_MESH_SHARED = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every pin names a release, an https URL, a path and a SHA-256', () => {
    for (const p of Object.values(pins())) {
      expect(p).toMatchObject({
        version: expect.any(String),
        path: expect.stringMatching(/^crds\//),
        url: expect.stringMatching(/^https:\/\//),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    }
    expect(() => pin('nope')).toThrow(/imports\/pins\.json has no entry "nope"/);
  });

  test('a file whose checksum differs from the pin is refused, naming both checksums', async () => {
    const p = pin('istio-crds');
    fs.mkdirSync(path.join(dir, path.dirname(p.path)), { recursive: true });
    fs.writeFileSync(path.join(dir, p.path), 'apiVersion: v1\nkind: Forged\n');
    process.env.SECURE_MESH_SHARED = dir;
    expect(sharedDirs()[0]).toBe(dir);
    const forged = sha256('apiVersion: v1\nkind: Forged\n');
    await expect(readPinned('istio-crds')).rejects.toThrow(new RegExp(`has SHA-256 ${forged}, but imports/pins.json pins ${p.sha256}`));
  });

});

describeWithShared(pin('istio-crds').path, 'the pinned file beside the clone', () => {
  test('is accepted: its checksum is the pin', async () => {
    const { text, pin: p } = await readPinned('istio-crds');
    expect(sha256(text)).toBe(p.sha256);
  });
});
