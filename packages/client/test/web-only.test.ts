/**
 * The universal entry of @bulwark/client runs in browsers, WebViews and React Native: every source
 * outside src/node/ may use Web APIs only. Node-only code lives under src/node/ and is reached
 * through the `@bulwark/client/node` entry; this test also checks the universal entry never
 * imports from there.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWebOnly } from '../../../test-support/web-only.js';

const src = join(dirname(fileURLToPath(import.meta.url)), '../src');

describeWebOnly('the universal entry of packages/client uses Web APIs only', src, {
  skip: [join(src, 'node')],
  extra: [['an import of the Node entry', /from\s+['"][./]*node\//]],
  minFiles: 6,
});
