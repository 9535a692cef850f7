/**
 * Reads the configuration object of a `capacitor.config.ts` (or `.js`) statically: the object
 * literal after `CapacitorConfig =`, `export default` or `module.exports =`, with its literal
 * values (strings, template strings without `${…}`, numbers, booleans, nested objects and
 * arrays). The file is never run: anything else (a variable, a call, `process.env.X`, a
 * condition, a spread) is not a value this can know, and its path is listed in `dynamic` so the
 * caller can say what was not checked.
 */

/** What was read of the configuration object. */
export interface StaticObject {
  value: Record<string, unknown>;
  /** Dotted paths of the properties whose value is not a literal. */
  dynamic: string[];
}

const START =
  /(?::\s*CapacitorConfig\s*=|\bexport\s+default\s+(?:defineConfig\s*\(\s*)?|\bmodule\.exports\s*=|\bconst\s+config\s*=)\s*\{/;

class Reader {
  at: number;
  readonly dynamic: string[] = [];
  constructor(
    readonly text: string,
    at: number,
  ) {
    this.at = at;
  }

  space(): void {
    const t = this.text;
    for (;;) {
      while (this.at < t.length && /\s/.test(t.charAt(this.at))) this.at++;
      if (t.startsWith('//', this.at)) {
        const end = t.indexOf('\n', this.at);
        this.at = end === -1 ? t.length : end;
      } else if (t.startsWith('/*', this.at)) {
        const end = t.indexOf('*/', this.at + 2);
        this.at = end === -1 ? t.length : end + 2;
      } else {
        return;
      }
    }
  }

  peek(): string {
    return this.text.charAt(this.at);
  }

  /** A quoted string at the cursor (`'`, `"` or a template without substitutions), or undefined. */
  string(): string | undefined {
    const quote = this.peek();
    let out = '';
    let i = this.at + 1;
    for (; i < this.text.length; i++) {
      const c = this.text.charAt(i);
      if (c === quote) break;
      if (c === '\\') {
        const next = this.text.charAt(++i);
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      } else if (quote === '`' && c === '$' && this.text.charAt(i + 1) === '{') {
        this.skipExpression();
        return undefined;
      } else {
        out += c;
      }
    }
    this.at = i + 1;
    return out;
  }

  /** Steps over an expression up to the `,`, `}` or `]` that ends it at its own depth. */
  skipExpression(): void {
    let depth = 0;
    const t = this.text;
    while (this.at < t.length) {
      const c = t.charAt(this.at);
      if (c === '"' || c === "'" || c === '`') {
        const q = c;
        this.at++;
        while (this.at < t.length && t.charAt(this.at) !== q) this.at += t.charAt(this.at) === '\\' ? 2 : 1;
        this.at++;
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') {
        if (depth === 0) return;
        depth--;
      } else if (c === ',' && depth === 0) return;
      this.at++;
    }
  }

  value(path: string, depth: number): { known: boolean; value?: unknown } {
    if (depth > 64) throw new Error('nested too deep');
    this.space();
    const c = this.peek();
    let result: { known: boolean; value?: unknown };
    if (c === '{') result = { known: true, value: this.object(path, depth) };
    else if (c === '[') result = { known: true, value: this.array(path, depth) };
    else if (c === '"' || c === "'" || c === '`') {
      const s = this.string();
      result = s === undefined ? { known: false } : { known: true, value: s };
    } else {
      const word = /^(?:true|false|null|-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(?![\w$.])/.exec(
        this.text.slice(this.at, this.at + 64),
      );
      if (word === null) {
        this.skipExpression();
        result = { known: false };
      } else {
        this.at += word[0].length;
        result = {
          known: true,
          value:
            word[0].startsWith('t') || word[0].startsWith('f') || word[0] === 'null'
              ? JSON.parse(word[0])
              : Number(word[0]),
        };
      }
    }
    this.space();
    // `as const`, `|| 'x'`, `? a : b`: whatever follows makes the value an expression.
    const next = this.peek();
    if (next !== ',' && next !== '}' && next !== ']' && next !== '') {
      this.skipExpression();
      result = { known: false };
    }
    if (!result.known) this.dynamic.push(path);
    return result;
  }

  object(path: string, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.at++; // {
    for (let last = -1; ; ) {
      // Every turn moves on: a stray `)` or `]` that ends no expression is stepped over.
      if (this.at === last) this.at++;
      last = this.at;
      this.space();
      const c = this.peek();
      if (c === '}' || c === '') {
        this.at++;
        return out;
      }
      if (c === ',') {
        this.at++;
        continue;
      }
      let key: string | undefined;
      if (c === '"' || c === "'") key = this.string();
      else {
        const id = /^[A-Za-z_$][\w$]*/.exec(this.text.slice(this.at, this.at + 128));
        if (id !== null) {
          key = id[0];
          this.at += key.length;
        }
      }
      this.space();
      if (key === undefined || this.peek() !== ':') {
        // A spread, a computed key, a shorthand property or a method: not a literal.
        this.dynamic.push(path === '' ? (key ?? '…') : `${path}.${key ?? '…'}`);
        this.skipExpression();
        continue;
      }
      this.at++; // :
      const child = path === '' ? key : `${path}.${key}`;
      const v = this.value(child, depth + 1);
      // An own property even for `__proto__`: an assignment would set the object's prototype.
      if (v.known)
        Object.defineProperty(out, key, {
          value: v.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
  }

  array(path: string, depth: number): unknown[] {
    const out: unknown[] = [];
    this.at++; // [
    for (let i = 0, last = -1; ; i++) {
      if (this.at === last) this.at++;
      last = this.at;
      this.space();
      const c = this.peek();
      if (c === ']' || c === '') {
        this.at++;
        return out;
      }
      if (c === ',') {
        this.at++;
        continue;
      }
      const v = this.value(`${path}[${i}]`, depth + 1);
      if (v.known) out.push(v.value);
    }
  }
}

/**
 * The configuration object of a JavaScript or TypeScript config file, read without running it;
 * undefined when no object literal is exported.
 *
 * @example
 * ```ts
 * readStaticObject("const config: CapacitorConfig = { server: { cleartext: true } };");
 * // { value: { server: { cleartext: true } }, dynamic: [] }
 * ```
 */
export function readStaticObject(source: string): StaticObject | undefined {
  const m = START.exec(source);
  if (m === null) return undefined;
  const reader = new Reader(source, (m.index as number) + m[0].length - 1);
  const value = reader.object('', 0);
  return { value, dynamic: reader.dynamic };
}
