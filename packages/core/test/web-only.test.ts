/**
 * packages/core runs in browsers, WebViews and React Native: its sources may use Web APIs only.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWebOnly } from '../../../test-support/web-only.js';

describeWebOnly('packages/core uses Web APIs only', join(dirname(fileURLToPath(import.meta.url)), '../src'));
