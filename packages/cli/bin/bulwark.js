#!/usr/bin/env node
// The `bulwark` command. This file is committed so that npm links the bin on the first install,
// before `tsc -b` has written dist/; it loads the built program.
import { run } from '../dist/program.js';

process.exitCode = await run(process.argv);
