'use strict';
// replay.js is the Node baseline of the synth benchmark: a CDK app that
// makes, natively in Node, the calls the Go app made through the jsii
// kernel, so that aws-cdk-lib builds the same construct tree, runs the same
// aspects (cdk-nag) and synthesises it with the same validation, with no
// kernel, no Go process and no serialisation in between.
//
//   node replay.js TRACE MODULES
//
// TRACE holds the kernel protocol of one run of the Go app, one message a
// line as the jsii runtime logs it under JSII_DEBUG=1: "> {request}" from
// the app, "< {response}" from the kernel (bench/nodebaseline.go extracts
// them). MODULES is a directory whose node_modules holds the packages the
// trace loads, at the versions it loads. Run it as a CDK app (`cdk synth
// --app "node replay.js TRACE MODULES"`): like any app it reads
// CDK_OUTDIR and CDK_CONTEXT_JSON from the CLI.
//
// The translation is generic: load → require, create → new, get/set →
// property, invoke/sinvoke → method call, sget → static property; wire
// values are decoded as the kernel decodes them (object references, enums,
// structs and maps, with nulls dropped); references and token strings the
// kernel returned are mapped to what the native calls return. A property
// or method the Go app overrode returns what the Go callback returned. A
// callback that itself called into the kernel cannot be replayed in order
// and stops the replay, as does any call whose outcome (success or error)
// differs from the recording.
//
// With HASIVU_REPLAY_STATS set, the replay writes there, as JSON, how
// long it spent on its own work (reading the trace, decoding, mapping)
// apart from the native calls, so that the baseline's overhead is known.
// With HASIVU_REPLAY_WITHOUT set to a package name (cdk-nag), it leaves
// out that package: its load, the objects made from it and every request
// that involves one, so that the package's share of a synth can be
// measured as the difference.

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const { performance } = require('perf_hooks');

const BYREF = '$jsii.byref';
const ENUM = '$jsii.enum';
const STRUCT = '$jsii.struct';
const MAP = '$jsii.map';
const DATE = '$jsii.date';

// A token marker as aws-cdk-lib encodes it in strings (${Token[...]}) and
// string lists (#{Token[...]}).
const TOKEN = /[$#]\{Token\[[^\]]+\]\}/g;

let own = 0; // milliseconds spent on the replay's own work

function timed(f) {
  const t = performance.now();
  try {
    return f();
  } finally {
    own += performance.now() - t;
  }
}

// parse pairs each request of the trace with its response and the
// callbacks the kernel made while serving it.
function parse(text) {
  const calls = [];
  let open = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const dir = line.slice(0, 2);
    if (dir !== '> ' && dir !== '< ') throw new Error(`trace: not a protocol line: ${line.slice(0, 80)}`);
    const msg = JSON.parse(line.slice(2));
    if (dir === '> ') {
      if ('exit' in msg) break;
      if (msg.complete) {
        const cb = open && open.callbacks.find((c) => c.cbid === msg.complete.cbid);
        if (!cb) throw new Error(`trace: completion of unknown callback ${msg.complete.cbid}`);
        cb.done = true;
        cb.result = msg.complete.result;
        cb.err = msg.complete.err;
        continue;
      }
      if (open) {
        throw new Error(`trace: request ${msg.api} made inside a callback of ${open.req.api}: ` +
          'a callback that calls into the kernel cannot be replayed in order');
      }
      open = { req: msg, callbacks: [] };
      continue;
    }
    if (msg.hello) continue;
    if (!open) throw new Error(`trace: response without a request: ${line.slice(0, 80)}`);
    if (msg.callback) {
      open.callbacks.push({ ...msg.callback, done: false });
      continue;
    }
    open.res = msg;
    calls.push(open);
    open = null;
  }
  if (open) throw new Error(`trace: request ${open.req.api} has no response`);
  return calls;
}

class Replay {
  constructor(modulesDir) {
    this.require = createRequire(path.join(path.resolve(modulesDir), 'node_modules', 'replay.js'));
    this.packages = new Map(); // package name → its exports
    this.objects = new Map(); // recorded reference → native object
    this.strings = new Map(); // recorded token marker → native marker
    this.numbers = new Map(); // recorded number token → native number
    this.overrides = new Map(); // "ref#get#prop" or "ref#invoke#method" → recorded results
    this.without = process.env.HASIVU_REPLAY_WITHOUT || '';
    this.skipped = new Set(); // recorded references of objects left out
  }

  // leftOut reports whether a request belongs to the package left out:
  // it loads it, names one of its types, or involves an object left out.
  leftOut(r) {
    if (!this.without) return false;
    if (r.api === 'load') return r.name === this.without;
    if (r.fqn && r.fqn.startsWith(this.without + '.')) return true;
    const refers = (v) => {
      if (v === null || typeof v !== 'object') return false;
      if (Array.isArray(v)) return v.some(refers);
      if (BYREF in v && this.skipped.has(v[BYREF])) return true;
      return Object.values(v).some(refers);
    };
    return refers(r.args) || refers(r.objref) || refers(r.value);
  }

  // skip records the references a left-out request returned.
  skip(recorded) {
    if (recorded === null || typeof recorded !== 'object') return;
    if (Array.isArray(recorded)) return recorded.forEach((x) => this.skip(x));
    if (BYREF in recorded) this.skipped.add(recorded[BYREF]);
    else Object.values(recorded).forEach((x) => this.skip(x));
  }

  // findSymbol resolves a jsii type name (package.submodule.Type) to the
  // package's export, as the kernel does.
  findSymbol(fqn) {
    let best = '';
    for (const name of this.packages.keys()) {
      if (fqn.startsWith(name + '.') && name.length > best.length) best = name;
    }
    if (!best) throw new Error(`replay: no loaded package defines ${fqn}`);
    let v = this.packages.get(best);
    for (const part of fqn.slice(best.length + 1).split('.')) {
      v = v[part];
      if (v === undefined) throw new Error(`replay: ${fqn} not found`);
    }
    return v;
  }

  object(ref) {
    if (!this.objects.has(ref)) throw new Error(`replay: unknown object ${ref}`);
    return this.objects.get(ref);
  }

  // decode turns a wire value into the value the kernel would pass.
  decode(v) {
    if (v === null || v === undefined) return undefined;
    if (typeof v === 'string') return v.includes('Token[') ? v.replace(TOKEN, (m) => this.strings.get(m) ?? m) : v;
    if (typeof v === 'number') return this.numbers.has(v) ? this.numbers.get(v) : v;
    if (typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => this.decode(x));
    if (BYREF in v) return this.object(v[BYREF]);
    if (ENUM in v) {
      const at = v[ENUM].lastIndexOf('/');
      const value = this.findSymbol(v[ENUM].slice(0, at))[v[ENUM].slice(at + 1)];
      if (value === undefined) throw new Error(`replay: no enum member ${v[ENUM]}`);
      return value;
    }
    if (DATE in v) return new Date(v[DATE]);
    if (STRUCT in v) return this.values(v[STRUCT].data);
    if (MAP in v) return this.values(v[MAP]);
    return this.values(v);
  }

  // values decodes an object's values, leaving out those that decode to
  // undefined (the kernel drops null struct fields and map entries).
  values(o) {
    const out = {};
    for (const [k, x] of Object.entries(o)) {
      const d = this.decode(x);
      if (d !== undefined) out[k] = d;
    }
    return out;
  }

  // learn maps what the kernel returned in the recording to what the
  // native call returned: object references, and token markers and
  // numbers where they differ.
  learn(recorded, native) {
    if (recorded === null || recorded === undefined || native === null || native === undefined) return;
    if (typeof recorded === 'string') {
      if (typeof native === 'string' && recorded !== native) {
        const a = recorded.match(TOKEN) ?? [];
        const b = native.match(TOKEN) ?? [];
        if (a.length === b.length) a.forEach((m, i) => this.strings.set(m, b[i]));
      }
      return;
    }
    if (typeof recorded === 'number') {
      if (typeof native === 'number' && recorded !== native) this.numbers.set(recorded, native);
      return;
    }
    if (typeof recorded !== 'object') return;
    if (Array.isArray(recorded)) {
      if (Array.isArray(native)) recorded.forEach((r, i) => this.learn(r, native[i]));
      return;
    }
    if (BYREF in recorded) {
      this.objects.set(recorded[BYREF], native);
      return;
    }
    const fields = MAP in recorded ? recorded[MAP] : recorded;
    if (ENUM in recorded || DATE in recorded || typeof native !== 'object') return;
    for (const [k, r] of Object.entries(fields)) this.learn(r, native[k]);
  }

  // collectCallbacks queues, per overridden member, what the app's
  // callbacks returned.
  collectCallbacks(calls) {
    for (const c of calls) {
      for (const cb of c.callbacks) {
        if (!cb.done) throw new Error(`trace: callback ${cb.cbid} never completed`);
        let key;
        if (cb.get) key = `${cb.get.objref[BYREF]}#get#${cb.get.property}`;
        else if (cb.invoke) key = `${cb.invoke.objref[BYREF]}#invoke#${cb.invoke.method}`;
        else if (cb.set) continue; // a setter's callback returns nothing
        else throw new Error(`trace: unsupported callback ${JSON.stringify(cb).slice(0, 120)}`);
        if (!this.overrides.has(key)) this.overrides.set(key, []);
        this.overrides.get(key).push(cb);
      }
    }
  }

  // answer returns the recorded result of an overridden member's next
  // call (the last one again once they run out).
  answer(key) {
    const queue = this.overrides.get(key);
    if (!queue || queue.length === 0) throw new Error(`replay: ${key} is overridden but the app never answered it`);
    const cb = queue.length > 1 ? queue.shift() : queue[0];
    if (cb.err) throw new Error(cb.err);
    return timed(() => this.decode(cb.result));
  }

  // override makes an object's members answer as the app's overrides did,
  // after construction, as the kernel applies overrides.
  override(obj, ref, overrides) {
    for (const o of overrides ?? []) {
      if (o.property) {
        const key = `${ref}#get#${o.property}`;
        Object.defineProperty(obj, o.property, {
          configurable: true,
          enumerable: true,
          get: () => this.answer(key),
          set: () => {},
        });
      } else if (o.method) {
        const key = `${ref}#invoke#${o.method}`;
        Object.defineProperty(obj, o.method, { configurable: true, writable: true, value: () => this.answer(key) });
      }
    }
  }

  call(c) {
    const r = c.req;
    switch (r.api) {
      case 'load':
        this.packages.set(r.name, this.require(r.name));
        return undefined;
      case 'create': {
        const args = timed(() => (r.args ?? []).map((a) => this.decode(a)));
        const Ctor = r.fqn === 'Object' ? null : this.findSymbol(r.fqn);
        const obj = Ctor ? new Ctor(...args) : {};
        if (c.res.ok) this.override(obj, c.res.ok[BYREF], r.overrides);
        return obj;
      }
      case 'del':
      case 'naming':
      case 'stats':
        return undefined;
      case 'get':
        return this.object(r.objref[BYREF])[r.property];
      case 'sget':
        return this.findSymbol(r.fqn)[r.property];
      case 'set': {
        const v = timed(() => this.decode(r.value));
        this.object(r.objref[BYREF])[r.property] = v;
        return undefined;
      }
      case 'sset': {
        const v = timed(() => this.decode(r.value));
        this.findSymbol(r.fqn)[r.property] = v;
        return undefined;
      }
      case 'invoke': {
        const args = timed(() => (r.args ?? []).map((a) => this.decode(a)));
        const obj = this.object(r.objref[BYREF]);
        return obj[r.method](...args);
      }
      case 'sinvoke': {
        const args = timed(() => (r.args ?? []).map((a) => this.decode(a)));
        return this.findSymbol(r.fqn)[r.method](...args);
      }
      default:
        throw new Error(`replay: unsupported request ${r.api}`);
    }
  }

  run(calls) {
    timed(() => this.collectCallbacks(calls));
    calls.forEach((c, i) => {
      if (timed(() => this.leftOut(c.req))) {
        timed(() => this.skip(c.res.ok));
        return;
      }
      let native;
      try {
        native = this.call(c);
      } catch (e) {
        if (c.res.error !== undefined) return;
        throw new Error(`replay: request ${i + 1} (${c.req.api} ${c.req.fqn ?? c.req.method ?? c.req.property ?? c.req.name ?? ''}) ` +
          `failed where the app's succeeded: ${e.stack ?? e}`);
      }
      if (c.res.error !== undefined) {
        throw new Error(`replay: request ${i + 1} (${c.req.api}) succeeded where the app's failed: ${c.res.error}`);
      }
      // create answers the reference itself; get and sget a value; invoke
      // and sinvoke a result.
      const ok = c.res.ok ?? {};
      const recorded = c.req.api === 'create' ? ok : 'value' in ok ? ok.value : ok.result;
      timed(() => this.learn(recorded, native));
    });
  }
}

function main() {
  const [tracePath, modulesDir] = process.argv.slice(2);
  if (!tracePath || !modulesDir) {
    process.stderr.write('usage: node replay.js TRACE MODULES\n');
    process.exit(2);
  }
  const calls = timed(() => parse(fs.readFileSync(tracePath, 'utf8')));
  const replay = new Replay(modulesDir);
  replay.run(calls);
  if (process.env.HASIVU_REPLAY_STATS) {
    fs.writeFileSync(process.env.HASIVU_REPLAY_STATS, JSON.stringify({ requests: calls.length, ownMs: Math.round(own) }) + '\n');
  }
}

if (require.main === module) main();

module.exports = { parse, Replay };
